# rdp-fix-lab: break-tls-disabled
# LAB ONLY. Breaks this VM on purpose the way the article's cause "TLS is disabled on the server side" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break tls-disabled` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-tls-disabled'
# include: lib/result.ps1

# include: lib/guard.ps1

# include: lib/tls.ps1

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $data = [ordered]@{ cause = 'tls-disabled'; labId = $labId; tlsBefore = (Disable-ServerTls) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
