# rdp-fix-step: restore-group-policy
# Step 3.3 of the article on its own: switch Group Policy back on when the incident ends
# without the verification doing it (the restart failed, the verification was skipped or
# failed, the incident was aborted or expired after enable-tls paused Group Policy). The
# restore is lib/group-policy.ps1, spliced into this script and verify.ps1 by the loader: the start type goes back
# to the value enable-tls saved, the service starts, gpupdate /force runs. Without the saved
# value nothing is changed. Safe to run twice.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'restore-group-policy'
$log = Join-Path $env:ProgramData ('rdp-fix\logs\{0}-{1:yyyyMMdd-HHmmss}.log' -f $stepId, (Get-Date))
New-Item -ItemType Directory -Force -Path (Split-Path $log) | Out-Null

function Write-Log([string]$Message) {
    Add-Content -Path $log -Value ('{0:o} {1}' -f (Get-Date), $Message)
}

function Write-Result([bool]$Ok, $Data, [string]$ErrorMessage) {
    $result = [ordered]@{ step = $stepId; ok = $Ok; log = $log; data = $Data }
    if ($ErrorMessage) { $result.error = $ErrorMessage }
    Write-Output ('RDPFIX-RESULT: ' + ($result | ConvertTo-Json -Compress -Depth 8))
}

# include: lib/group-policy.ps1

$data = [ordered]@{}
try {
    $data = Restore-GroupPolicy
    $data.start = (Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\gpsvc' -Name Start).Start
    $data.status = [string](Get-Service -Name gpsvc).Status
    Write-Result (-not $data.error) $data $data.error
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
