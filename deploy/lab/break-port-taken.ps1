# rdp-fix-lab: break-port-taken
# LAB ONLY. Breaks this VM on purpose the way the article's cause "port taken by another service" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break port-taken` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-port-taken'
# include: lib/result.ps1

# include: lib/guard.ps1

# include: lib/port.ps1

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $port = [int](Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp' -Name PortNumber).PortNumber
    $data = [ordered]@{ cause = 'port-taken'; labId = $labId; portOwner = (Start-PortHolder $port) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
