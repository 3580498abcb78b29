# rdp-fix-step: reset-machinekeys-acl
# Step 2.3 of the article: reset the MachineKeys folder permissions, keeping the ACL before
# and after. The text ran "remove-module psreadline icacls" as one line; those are two
# separate things and neither is needed under Run Command. takeown gets /d Y so that it
# never waits for an answer nobody can give. Safe to run twice.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'reset-machinekeys-acl'
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
    $keys = 'C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys'
    $dumps = Join-Path $env:ProgramData 'rdp-fix\acl'
    New-Item -ItemType Directory -Force -Path $dumps | Out-Null
    $stamp = '{0:yyyyMMdd-HHmmss}' -f (Get-Date)
    $data.beforeFile = Join-Path $dumps "MachineKeys-before-$stamp.txt"
    $data.afterFile = Join-Path $dumps "MachineKeys-after-$stamp.txt"

    & icacls.exe $keys /t /c | Out-File -FilePath $data.beforeFile -Encoding utf8
    # The folder's own ACL goes into the result (the full recursive dumps stay on the VM).
    $data.beforeAcl = (& icacls.exe $keys) -join "`n"
    & takeown.exe /f $keys /a /r /d Y | Out-String | ForEach-Object { Write-Log $_ }
    if ($LASTEXITCODE -ne 0) { throw "takeown failed with exit code $LASTEXITCODE" }
    foreach ($grant in 'NT AUTHORITY\SYSTEM:(F)', 'NT AUTHORITY\NETWORK SERVICE:(R)', 'BUILTIN\Administrators:(F)') {
        & icacls.exe $keys /t /c /grant $grant | Out-String | ForEach-Object { Write-Log $_ }
        if ($LASTEXITCODE -ne 0) { throw "icacls /grant $grant failed with exit code $LASTEXITCODE" }
    }
    & icacls.exe $keys /t /c | Out-File -FilePath $data.afterFile -Encoding utf8
    $data.afterAcl = (& icacls.exe $keys) -join "`n"
    Restart-Service -Name TermService -Force
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
