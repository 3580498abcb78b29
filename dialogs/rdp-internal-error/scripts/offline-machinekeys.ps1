# rdp-fix-step: offline-machinekeys
# Offline repair, on the recovery VM: reset the MachineKeys permissions on the attached
# disk as in Step 2.3. The text created F:\temp but wrote the dumps to C:\temp; both dumps
# go to ProgramData\rdp-fix\acl on the recovery VM here, with the DACLs saved in icacls /save
# form first (icacls <parent> /restore <file> puts them back). Identities are given by SID,
# never by name: account names are localized (ARTICLE.md; "NT AUTHORITY\SYSTEM" is
# "NT-AUTORITÄT\SYSTEM" on a German Windows), and so is takeown's /d answer letter, so takeown
# is not run with /r /d: it takes the folder, icacls /setowner the files. Safe to run twice.
param(
    [string]$DriveLetter = 'F'
)

$ErrorActionPreference = 'Stop'
$stepId = 'offline-machinekeys'
# include: lib/result.ps1

# include: lib/offline-helpers.ps1

# Well-known SIDs (learn.microsoft.com/windows-server/identity/ad-ds/manage/understand-security-identifiers):
# icacls takes a SID as *S-1-… (learn.microsoft.com/windows-server/administration/windows-commands/icacls).
$System = '*S-1-5-18'
$NetworkService = '*S-1-5-20'
$Administrators = '*S-1-5-32-544'

# Runs icacls.exe or takeown.exe and logs what it printed. A non-zero exit code does not stop
# the reset (with /c icacls goes on past files it cannot change, and a broken ACL is what is
# being repaired): it is recorded, and the step fails at the end.
function Invoke-Native([string]$What, [scriptblock]$Command) {
    & $Command | Out-String | ForEach-Object { Write-Log $_ }
    if ($LASTEXITCODE -ne 0) { $data.failed += "$What (exit code $LASTEXITCODE)" }
}

$data = [ordered]@{ failed = @() }
try {
    $root = Assert-DriveLetter $DriveLetter
    $keys = "$root\ProgramData\Microsoft\Crypto\RSA\MachineKeys"
    if (-not (Test-Path $keys)) { throw "No MachineKeys folder at $keys" }
    $dumps = Join-Path $env:ProgramData 'rdp-fix\acl'
    New-Item -ItemType Directory -Force -Path $dumps | Out-Null
    $stamp = '{0:yyyyMMdd-HHmmss}' -f (Get-Date)
    $data.beforeFile = Join-Path $dumps "offline-MachineKeys-before-$stamp.txt"
    $data.afterFile = Join-Path $dumps "offline-MachineKeys-after-$stamp.txt"
    # The prior state, restorable: the DACLs (icacls /save) and the folder's owner by SID.
    $data.aclSaveFile = Join-Path $dumps "offline-MachineKeys-acl-$stamp.icacls"
    # A broken ACL may deny even reading it: then the owner stays unknown and the repair goes on.
    $data.ownerBefore = $null
    try {
        $data.ownerBefore = (Get-Acl -Path $keys).GetOwner([System.Security.Principal.SecurityIdentifier]).Value
    } catch {
        Write-Log "Owner of $keys unreadable: $($_.Exception.Message)"
    }
    & icacls.exe $keys /t /c | Out-File -FilePath $data.beforeFile -Encoding utf8
    Invoke-Native 'icacls /save' { & icacls.exe $keys /save $data.aclSaveFile /t /c }
    # takeown /a gives the folder to Administrators; without /r it never prompts (its /d answer is localized).
    Invoke-Native 'takeown' { & takeown.exe /f $keys /a }
    Invoke-Native 'icacls /setowner' { & icacls.exe $keys /setowner $Administrators /t /c }
    foreach ($grant in "${System}:(F)", "${NetworkService}:(R)", "${Administrators}:(F)") {
        Invoke-Native "icacls /grant $grant" { & icacls.exe $keys /t /c /grant $grant }
    }
    & icacls.exe $keys /t /c | Out-File -FilePath $data.afterFile -Encoding utf8
    $message = if ($data.failed.Count -eq 0) { $null } else { "Not every change went through: $($data.failed -join '; ') (see the log)" }
    Write-Result ($data.failed.Count -eq 0) $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
