# rdp-fix-step: pause-group-policy
# Step 3.2 of the article: set the Group Policy service to disabled (Start=4) so that a
# domain policy cannot undo the TLS change at the restart. The previous value is saved on
# the VM for restore-group-policy. On some Windows builds the gpsvc key refuses writes even
# to SYSTEM: the step then fails and says so. Safe to run twice (keeps the first saved value).
param()

$ErrorActionPreference = 'Stop'
$stepId = 'pause-group-policy'
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
$data = [ordered]@{}
try {
    $key = 'HKLM:\SYSTEM\CurrentControlSet\Services\gpsvc'
    $saved = Join-Path $env:ProgramData 'rdp-fix\gpsvc-start.txt'
    $data.previousStart = (Get-ItemProperty -Path $key -Name Start).Start
    if (-not (Test-Path $saved)) { Set-Content -Path $saved -Value $data.previousStart }
    Write-Log "Set $key Start=4 (was $($data.previousStart))"
    Set-ItemProperty -Path $key -Name Start -Value 4 -Type DWord
    $data.start = (Get-ItemProperty -Path $key -Name Start).Start
    Write-Result ($data.start -eq 4) $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
