# The log file and the result line of every script (DESIGN.md, "Script result contract").
$log = Join-Path $env:ProgramData ('rdp-fix\logs\{0}-{1:yyyyMMdd-HHmmss}.log' -f $stepId, (Get-Date))
New-Item -ItemType Directory -Force -Path (Split-Path $log) | Out-Null

function Write-Log([string]$Message) {
    Add-Content -Path $log -Value ('{0:o} {1}' -f (Get-Date), $Message)
}

function Write-Result([bool]$Ok, $Data, [string]$ErrorMessage) {
    $render = {
        $Limit = [int]$args[0]
        $result = [ordered]@{ step = $stepId; ok = $Ok; log = $log; data = (Limit-Strings $Data $Limit) }
        if ($ErrorMessage) { $result.error = (Limit-Strings $ErrorMessage $Limit) }
        'RDPFIX-RESULT: ' + ($result | ConvertTo-Json -Compress -Depth 8)
    }
    Write-Output (Limit-ResultLine $render)
}

# Printed whole; lib/result-limit.ps1 (included after) replaces these two to cut it to fit.
function Limit-ResultLine([scriptblock]$Render) { return (& $Render 0) }
function Limit-Strings($Value, [int]$Limit) { return $Value }
