# rdp-fix-step: verify
# After the one restart, in one Run Command (each costs the operator 20-30 s):
# 1. Step 3.3 of the article, when enable-tls paused Group Policy (it left the old gpsvc
#    Start value in %ProgramData%\rdp-fix\gpsvc-start.txt): set the start type back to that
#    value with "sc.exe config" and start the service, then "gpupdate /force" (the text merged
#    the three commands into one line; in PowerShell "sc" is Set-Content, hence sc.exe). The
#    service control manager read Start=4 at boot and keeps it in memory, so a registry write
#    alone would not let "sc start" work before another restart: ChangeServiceConfig (what
#    sc.exe config calls) changes both. Without the file nothing is changed and gpupdate does
#    not run: Group Policy already applied at boot.
# 2. The same evidence as diagnose.ps1 (lib/evidence.ps1, spliced into both by the loader),
#    so a TLS setting that a domain policy disabled again shows up here.
# The result's data is the evidence plus "groupPolicy" saying what was done. ok is false when
# Group Policy was paused and could not be switched back on: the playbook then offers the
# restore-group-policy step before the incident ends. Safe to run twice.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'verify'
# include: lib/result.ps1
# include: lib/result-limit.ps1

# include: lib/group-policy.ps1

# include: lib/evidence.ps1

$groupPolicy = $null
try {
    $groupPolicy = Restore-GroupPolicy
    $data = Get-Evidence
    $data.groupPolicy = $groupPolicy
    Write-Log ($data | ConvertTo-Json -Depth 8)
    $message = if ($groupPolicy.error) { "Group Policy is still paused: $($groupPolicy.error)" } else { $null }
    Write-Result (-not $groupPolicy.error) $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{ groupPolicy = $groupPolicy }) $_.Exception.Message
}
