# rdp-fix-lab: break-tls-policy
# LAB ONLY. Breaks this VM on purpose the way the article's cause "TLS is disabled, and a policy disables it again" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break tls-policy` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-tls-policy'
# include: lib/result.ps1

# include: lib/guard.ps1

# include: lib/tls.ps1

# include: lib/policy.ps1

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $data = [ordered]@{ cause = 'tls-policy'; labId = $labId; tlsBefore = (Disable-ServerTls); policy = (Register-TlsPolicy) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
