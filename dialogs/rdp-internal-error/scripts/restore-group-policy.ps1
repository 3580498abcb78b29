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
# include: lib/result.ps1

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
