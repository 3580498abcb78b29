# rdp-fix-step: restore-group-policy
# Step 3.3 of the article: switch Group Policy back on. The text merged three commands into
# one line; they are "sc config gpsvc start= auto", "sc start gpsvc" and "gpupdate /force".
# In PowerShell "sc" is Set-Content, hence sc.exe. The start type is set back only if
# enable-tls paused Group Policy (it left the old value on the VM); gpupdate always runs, so
# that the verification shows whether a domain policy disables TLS again. Safe to run twice.
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
$data = [ordered]@{}
try {
    $saved = Join-Path $env:ProgramData 'rdp-fix\gpsvc-start.txt'
    $data.wasPaused = Test-Path $saved
    if ($data.wasPaused) {
        $output = & sc.exe config gpsvc start= auto
        Write-Log ($output | Out-String)
        if ($LASTEXITCODE -ne 0) { throw "sc.exe config gpsvc failed with exit code $LASTEXITCODE" }
    }
    $output = & sc.exe start gpsvc
    Write-Log ($output | Out-String)
    # 1056: the service is already running.
    if ($LASTEXITCODE -ne 0 -and $LASTEXITCODE -ne 1056) { throw "sc.exe start gpsvc failed with exit code $LASTEXITCODE" }
    $output = & gpupdate.exe /force
    Write-Log ($output | Out-String)
    $data.gpupdateExitCode = $LASTEXITCODE
    $data.start = (Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\gpsvc' -Name Start).Start
    $data.status = [string](Get-Service -Name gpsvc).Status
    Remove-Item -Path $saved -ErrorAction SilentlyContinue
    Write-Result ($data.status -eq 'Running') $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
