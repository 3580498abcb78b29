# rdp-fix-step: change-rdp-port
# Step 1 of the article when the program on the RDP port cannot be stopped: move RDP to
# another port. The text's registry path lacked "HKLM:" and asked for a hex value; this sets
# the decimal DWORD. All or nothing: the Windows firewall rules are opened on the new port
# first, then the port is set and TermService restarted; if any part fails (a firewall rule
# missing or managed by Group Policy, TermService not listening on the new port), what was
# changed is put back and TermService restarted on the old port, and the step fails. The
# prior state (port, the rules' ports, TermService's status) is in the result for an undo.
# Safe to run twice with the same port.
param(
    [string]$Port = '',
    # Supplied by rdp-fix itself, not a person: the incident this change belongs to (lib/undo-journal.ps1).
    [string]$IncidentId = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'change-rdp-port'
# include: lib/result.ps1

# include: lib/undo-journal.ps1

$rdpKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
$firewallRules = @('RemoteDesktop-UserMode-In-TCP', 'RemoteDesktop-UserMode-In-UDP')

# Restart-Service -Force stops TermService's running dependents (UmRdpService) with it and
# starts each of them again; without -Force it refuses a service with running dependents
# (PowerShell's RestartServiceCommand and DoStopService, Microsoft.PowerShell.Commands.Management
# Service.cs). The article's Stop-Service -Force + Start-Service left the dependents stopped.
function Restart-TermService {
    Write-Log 'Restart-Service -Name TermService -Force'
    Restart-Service -Name TermService -Force
}

# Puts back what this run changed, each part on its own so one failure does not skip the others.
# Returns the parts that could not be put back (none: the VM is as before).
function Undo-PortChange($Changed) {
    $problems = @()
    if ($Changed.port) {
        try {
            Write-Log "Undo: PortNumber back to $($data.previousPort)"
            Set-ItemProperty -Path $rdpKey -Name PortNumber -Value $data.previousPort -Type DWord
            Restart-TermService
        } catch {
            $problems += "PortNumber: $($_.Exception.Message)"
        }
    }
    foreach ($rule in $Changed.firewall) {
        try {
            Write-Log "Undo: $rule back to $($data.previousFirewall[$rule] -join ',')"
            Set-NetFirewallRule -Name $rule -LocalPort $data.previousFirewall[$rule]
        } catch {
            $problems += "${rule}: $($_.Exception.Message)"
        }
    }
    return $problems
}

$data = [ordered]@{}
$changed = [ordered]@{ firewall = @(); port = $false }
try {
    # Run Command passes parameters as strings: validate and cast here too.
    $newPort = 0
    if (-not [int]::TryParse($Port, [ref]$newPort) -or $newPort -lt 1025 -or $newPort -gt 65535) {
        throw "Invalid port '$Port': expected 1025-65535"
    }
    $data.previousPort = [int](Get-ItemProperty -Path $rdpKey -Name PortNumber).PortNumber
    $data.termServiceBefore = [ordered]@{ status = [string](Get-Service -Name TermService).Status }
    # The rules' ports before (null: the rule does not exist), e.g. ["3389"].
    $data.previousFirewall = [ordered]@{}
    foreach ($rule in $firewallRules) {
        $filter = Get-NetFirewallRule -Name $rule -ErrorAction SilentlyContinue | Get-NetFirewallPortFilter
        $data.previousFirewall[$rule] = if ($filter) { @($filter.LocalPort) } else { $null }
    }
    $busy = Get-NetTCPConnection -LocalPort $newPort -State Listen -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($busy -and $newPort -ne $data.previousPort) { throw "Port $newPort is already in use by process $($busy.OwningProcess)" }
    # Saved before anything changes (lib/undo-journal.ps1); removed again if this run rolls back.
    $data.undoFile = Save-PriorState $stepId ([ordered]@{ port = $data.previousPort; firewall = $data.previousFirewall })

    # 1. The firewall: RDP over TCP needs its rule; the UDP rule follows when it exists.
    foreach ($rule in $firewallRules) {
        if ($rule -like '*-UDP' -and $null -eq $data.previousFirewall[$rule]) { continue }
        Write-Log "Set-NetFirewallRule $rule -LocalPort $newPort"
        Set-NetFirewallRule -Name $rule -LocalPort $newPort
        $changed.firewall += $rule
    }
    # 2. The port, and TermService restarted to listen on it.
    Write-Log "Set-ItemProperty PortNumber $($data.previousPort) -> $newPort"
    $changed.port = $true
    Set-ItemProperty -Path $rdpKey -Name PortNumber -Value $newPort -Type DWord
    Restart-TermService

    $listening = $false
    for ($i = 0; $i -lt 30 -and -not $listening; $i++) {
        $listening = [bool](Get-NetTCPConnection -LocalPort $newPort -State Listen -ErrorAction SilentlyContinue)
        if (-not $listening) { Start-Sleep -Seconds 1 }
    }
    if (-not $listening) { throw "TermService does not listen on port $newPort" }
    $data.rdpPort = $newPort
    $data.listening = $true
    Write-Result $true $data $null
} catch {
    $message = $_.Exception.Message
    Write-Log ($_ | Out-String)
    $problems = @(Undo-PortChange $changed)
    $data.rolledBack = ($problems.Count -eq 0)
    # Rolled back whole: there is nothing left to undo.
    # (and the result names no undo file: rdp-fix offers no undo for it)
    if ($data.rolledBack) { Remove-PriorState $data.undoFile; $data.undoFile = $null }
    if ($problems.Count -gt 0) { $data.rollbackErrors = $problems }
    Write-Result $false $data $message
}
