# lib/result.ps1: the log file and the one result line every break script ends with (the
# playbook scripts' contract), spliced in after the script sets $stepId, where it says
# "# include: lib/result.ps1" (src/lab/break-lab.ts, src/playbook/script-includes.ts).
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
