# rdp-fix-lab: break-cert-expired
# LAB ONLY. Breaks this VM on purpose the way the article's cause "the RDP certificate is expired" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break cert-expired` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-cert-expired'
# include: lib/result.ps1

# include: lib/guard.ps1

# include: lib/keyfile.ps1

# include: lib/certificate.ps1

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $data = [ordered]@{ cause = 'cert-expired'; labId = $labId; certificate = (Set-ExpiredListenerCertificate) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
