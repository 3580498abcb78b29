# rdp-fix-lab: break-tls-disabled
# LAB ONLY. Breaks this VM on purpose the way the article's cause "TLS is disabled on the server side" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break tls-disabled` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-tls-disabled'
$log = Join-Path $env:ProgramData ('rdp-fix\logs\lab-{0}-{1:yyyyMMdd-HHmmss}.log' -f $stepId, (Get-Date))
New-Item -ItemType Directory -Force -Path (Split-Path $log) | Out-Null

function Write-Log([string]$Message) {
    Add-Content -Path $log -Value ('{0:o} {1}' -f (Get-Date), $Message)
}

function Write-Result([bool]$Ok, $Data, [string]$ErrorMessage) {
    $result = [ordered]@{ step = $stepId; ok = $Ok; log = $log; data = $Data }
    if ($ErrorMessage) { $result.error = $ErrorMessage }
    Write-Output ('RDPFIX-RESULT: ' + ($result | ConvertTo-Json -Compress -Depth 8))
}

# region guard
# Only on a lab VM: the VM's own Azure tags, read from the Instance Metadata Service
# (GET http://169.254.169.254/metadata/instance/compute/tagsList with the header Metadata: true,
# learn.microsoft.com/azure/virtual-machines/instance-metadata-service), must hold rdp-fix-lab.
# Run by hand on any other VM, the script changes nothing.
function Assert-LabVm {
    $tags = Invoke-RestMethod -Headers @{ Metadata = 'true' } -Method Get -TimeoutSec 10 -UseBasicParsing `
        -Uri 'http://169.254.169.254/metadata/instance/compute/tagsList?api-version=2021-02-01'
    $lab = @($tags | Where-Object { $_.name -eq 'rdp-fix-lab' })
    if ($lab.Count -eq 0) { throw 'this VM has no rdp-fix-lab tag: lab break scripts run only on a VM made by rdp-fix lab create' }
    return [string]$lab[0].value
}
# endregion guard

# region tls
# SCHANNEL's per-protocol server switch: HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\
# SCHANNEL\Protocols\<version>\Server, DWORD Enabled, 0 = off ("Transport Layer Security (TLS)
# registry settings", learn.microsoft.com/windows-server/security/tls/tls-registry-settings).
# Schannel reads them when Windows starts: RDP fails after a restart (`rdp-fix lab break --restart`).
function Disable-ServerTls {
    $before = [ordered]@{}
    foreach ($version in 'TLS 1.0', 'TLS 1.1', 'TLS 1.2') {
        $key = "HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\$version\Server"
        if (-not (Test-Path -Path $key)) { New-Item -Path $key -Force | Out-Null }
        $before[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
        New-ItemProperty -Path $key -Name Enabled -Value 0 -PropertyType DWord -Force | Out-Null
        Write-Log "$key Enabled: $($before[$version]) -> 0"
    }
    return $before
}
# endregion tls

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $data = [ordered]@{ cause = 'tls-disabled'; labId = $labId; tlsBefore = (Disable-ServerTls) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
