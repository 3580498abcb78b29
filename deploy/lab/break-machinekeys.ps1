# rdp-fix-lab: break-machinekeys
# LAB ONLY. Breaks this VM on purpose the way the article's cause "the listener's RSA key cannot be read (MachineKeys permissions)" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break machinekeys` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-machinekeys'
# include: lib/result.ps1

# include: lib/guard.ps1

# include: lib/keyfile.ps1

# include: lib/machinekeys.ps1

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $data = [ordered]@{ cause = 'machinekeys'; labId = $labId; key = (Deny-ListenerKey) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
