# rdp-fix-lab: break-all-three
# LAB ONLY. Breaks this VM on purpose the way the article's cause "all three causes at once" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break all-three` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-all-three'
# include: lib/result.ps1

# include: lib/guard.ps1

# include: lib/keyfile.ps1

# include: lib/certificate.ps1

# include: lib/machinekeys.ps1

# include: lib/tls.ps1

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $certificate = Set-ExpiredListenerCertificate
    # The key denied is the expired certificate's, now the listener's.
    $key = Deny-ListenerKey
    $data = [ordered]@{ cause = 'all-three'; labId = $labId; certificate = $certificate; key = $key; tlsBefore = (Disable-ServerTls) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
