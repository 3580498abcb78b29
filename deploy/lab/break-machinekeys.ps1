# rdp-fix-lab: break-machinekeys
# LAB ONLY. Breaks this VM on purpose the way the article's cause "the listener's RSA key cannot be read (MachineKeys permissions)" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break machinekeys` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-machinekeys'
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

# region keyfile
# The RDP listener's certificate: the thumbprint in Win32_TSGeneralSetting.SSLCertificateSHA1Hash
# (namespace root\cimv2\TerminalServices, TerminalName RDP-tcp: learn.microsoft.com/troubleshoot/
# windows-server/remote/remote-desktop-listener-certificate-configurations), found in the Personal
# store (a certificate set there) or the Remote Desktop store (the self-signed one).
function Get-ListenerCertificate {
    $setting = Get-CimInstance -Namespace 'root\cimv2\TerminalServices' -ClassName Win32_TSGeneralSetting -Filter "TerminalName='RDP-tcp'"
    $thumbprint = [string]$setting.SSLCertificateSHA1Hash
    foreach ($store in 'Cert:\LocalMachine\My', 'Cert:\LocalMachine\Remote Desktop') {
        $cert = Get-Item -Path "$store\$thumbprint" -ErrorAction SilentlyContinue
        if ($cert) { return $cert }
    }
    throw "the RDP listener's certificate '$thumbprint' is in neither the Personal nor the Remote Desktop store"
}

# The file that holds a certificate's private key: a CryptoAPI (CSP) key is the file named by its
# unique container name under %ProgramData%\Microsoft\Crypto\RSA\MachineKeys, a CNG key the one named
# by its unique name under %ProgramData%\Microsoft\Crypto\Keys ("Key Storage and Retrieval",
# learn.microsoft.com/windows/win32/seccng/key-storage-and-retrieval).
function Get-KeyFile($Cert) {
    $name = $null
    try { $name = $Cert.PrivateKey.CspKeyContainerInfo.UniqueKeyContainerName } catch { $name = $null }
    if (-not $name) {
        $rsa = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Cert)
        if ($rsa -is [System.Security.Cryptography.RSACng]) { $name = $rsa.Key.UniqueName }
    }
    foreach ($dir in 'Microsoft\Crypto\RSA\MachineKeys', 'Microsoft\Crypto\Keys') {
        $file = Join-Path (Join-Path $env:ProgramData $dir) ([string]$name)
        if ($name -and (Test-Path -LiteralPath $file)) { return $file }
    }
    throw "the private key file of certificate $($Cert.Thumbprint) was not found"
}
# endregion keyfile

# region machinekeys
# TermService runs as NETWORK SERVICE and must read the listener certificate's private key. An
# explicit Deny for its SID (S-1-5-20: names are localised) on the key file, set with icacls /deny
# (learn.microsoft.com/windows-server/administration/windows-commands/icacls), wins over every Allow
# ("Order of ACEs in a DACL", learn.microsoft.com/windows/win32/secauthz/order-of-aces-in-a-dacl).
# Schannel then logs 36870 and the client says "An internal error has occurred".
function Deny-ListenerKey {
    $cert = Get-ListenerCertificate
    $keyFile = Get-KeyFile $cert
    $before = (& icacls.exe $keyFile) -join "`n"
    & icacls.exe $keyFile /deny '*S-1-5-20:(R)' 2>&1 | ForEach-Object { Write-Log $_ }
    if ($LASTEXITCODE -ne 0) { throw "icacls /deny failed with exit code $LASTEXITCODE" }
    $after = (& icacls.exe $keyFile) -join "`n"
    Write-Log "ACL of $keyFile before:`n$before`nafter:`n$after"
    return [ordered]@{ thumbprint = $cert.Thumbprint; keyFile = $keyFile; aclBefore = $before; aclAfter = $after }
}
# endregion machinekeys

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $data = [ordered]@{ cause = 'machinekeys'; labId = $labId; key = (Deny-ListenerKey) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
