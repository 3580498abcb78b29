# rdp-fix-step: offline-machinekeys
# Offline repair, on the recovery VM: reset the MachineKeys permissions on the attached
# disk as in Step 2.3. The text created F:\temp but wrote the dumps to C:\temp; both dumps
# go to ProgramData\rdp-fix\acl on the recovery VM here. Safe to run twice.
param(
    [string]$DriveLetter = 'F'
)

$ErrorActionPreference = 'Stop'
$stepId = 'offline-machinekeys'
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
    $root = Assert-DriveLetter $DriveLetter
    $keys = "$root\ProgramData\Microsoft\Crypto\RSA\MachineKeys"
    $dumps = Join-Path $env:ProgramData 'rdp-fix\acl'
    New-Item -ItemType Directory -Force -Path $dumps | Out-Null
    $stamp = '{0:yyyyMMdd-HHmmss}' -f (Get-Date)
    $data.beforeFile = Join-Path $dumps "offline-MachineKeys-before-$stamp.txt"
    $data.afterFile = Join-Path $dumps "offline-MachineKeys-after-$stamp.txt"
    & icacls.exe $keys /t /c | Out-File -FilePath $data.beforeFile -Encoding utf8
    & takeown.exe /f $keys /a /r /d Y | Out-String | ForEach-Object { Write-Log $_ }
    if ($LASTEXITCODE -ne 0) { throw "takeown failed with exit code $LASTEXITCODE" }
    foreach ($grant in 'NT AUTHORITY\SYSTEM:(F)', 'NT AUTHORITY\NETWORK SERVICE:(R)', 'BUILTIN\Administrators:(F)') {
        & icacls.exe $keys /t /c /grant $grant | Out-String | ForEach-Object { Write-Log $_ }
        if ($LASTEXITCODE -ne 0) { throw "icacls /grant $grant failed with exit code $LASTEXITCODE" }
    }
    & icacls.exe $keys /t /c | Out-File -FilePath $data.afterFile -Encoding utf8
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
