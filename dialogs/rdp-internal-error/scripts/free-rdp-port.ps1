# rdp-fix-step: free-rdp-port
# Step 1 of the article: stop the service that holds the RDP port, start TermService and
# check that it listens. Unlike the article's Stop-Service -Force, nothing is stopped silently
# beyond the one service named: a service with running dependents (which -Force would stop
# too) is refused, and so is one whose process hosts other services (a shared svchost: which
# one holds the port cannot be told from the process). A TermService that runs without
# listening (it started while the port was taken) is restarted: Start-Service does nothing
# to a running service. If TermService still does not listen, the stopped service is started
# again. The prior state (the service's and TermService's status and start mode) is in the
# result for an undo. Safe to run twice: a stopped service stays stopped, a listening
# TermService is left alone.
param(
    [string]$ServiceName = '',
    # Supplied by rdp-fix itself, not a person: the incident this change belongs to (lib/undo-journal.ps1).
    [string]$IncidentId = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'free-rdp-port'
# include: lib/result.ps1

# include: lib/undo-journal.ps1

function Get-Listener([int]$Port) {
    $conn = Get-NetTCPConnection -LocalPort $Port -State Listen -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $conn) { return $null }
    $ownerPid = [int]$conn.OwningProcess
    $hosted = @(Get-CimInstance -ClassName Win32_Service -Filter "ProcessId = $ownerPid" | ForEach-Object { $_.Name })
    return [ordered]@{ pid = $ownerPid; process = (Get-Process -Id $ownerPid).ProcessName; services = $hosted }
}

# Status and start mode of a service, for the result (the prior state an undo restores).
function Get-ServiceState([string]$Name) {
    $svc = Get-CimInstance -ClassName Win32_Service -Filter "Name = '$Name'"
    if (-not $svc) { return $null }
    return [ordered]@{ name = $svc.Name; status = $svc.State; startMode = $svc.StartMode }
}

# Why the named service is not stopped, or $null to stop it. Stop-Service without -Force refuses
# a service whose dependents are not all stopped, and -Force stops them too (PowerShell's
# DoStopService, "ServiceHasDependentServices"): neither happens behind the operator's back.
function Get-StopRefusal([string]$Name, $Owner, [int]$RdpPort) {
    if ($Owner.services.Count -gt 1) {
        return "$($Owner.process) (pid $($Owner.pid)) hosts $($Owner.services -join ', '): which one holds port $RdpPort cannot be told from the process, so none is stopped; stop the right one yourself or move RDP to another port"
    }
    $running = @(Get-Service -Name $Name -DependentServices | Where-Object { $_.Status -ne 'Stopped' } | ForEach-Object { $_.Name })
    if ($running.Count -gt 0) {
        return "Stopping $Name would also stop the services that depend on it ($($running -join ', ')), so it is not stopped; stop them yourself if that is acceptable, or move RDP to another port"
    }
    return $null
}

$data = [ordered]@{ stoppedService = $null; restartedTermService = $false }
try {
    # Run Command passes parameters as strings: validate here too (the pattern also keeps the
    # name safe inside the WQL filter's quotes).
    if ($ServiceName -and $ServiceName -notmatch '^[A-Za-z0-9_.-]{1,80}$') { throw "Invalid service name '$ServiceName'" }
    $rdpKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
    $rdpPort = [int](Get-ItemProperty -Path $rdpKey -Name PortNumber).PortNumber
    $data.rdpPort = $rdpPort
    $before = Get-Listener $rdpPort
    $data.listenerBefore = $before
    $data.termServiceBefore = Get-ServiceState 'TermService'
    Write-Log "RDP port $rdpPort, before: $($before | ConvertTo-Json -Compress)"

    if ($ServiceName -and $ServiceName -ine 'TermService' -and $before -and $before.services -notcontains 'TermService') {
        if ($before.services -notcontains $ServiceName) {
            throw "$ServiceName does not hold port ${rdpPort}: $($before.process) (pid $($before.pid)) does"
        }
        $refusal = Get-StopRefusal $ServiceName $before $rdpPort
        if ($refusal) { throw $refusal }
        $data.serviceBefore = Get-ServiceState $ServiceName
        $data.undoFile = Save-PriorState $stepId ([ordered]@{
            stoppedService = $ServiceName; status = [string]$data.serviceBefore.status
            termServiceStatus = [string]$data.termServiceBefore.status
        })
        Write-Log "Stop-Service -Name $ServiceName"
        Stop-Service -Name $ServiceName
        $data.stoppedService = $ServiceName
    }

    $term = Get-Service -Name TermService
    $listener = Get-Listener $rdpPort
    if ($term.Status -eq 'Running' -and -not ($listener -and $listener.services -contains 'TermService')) {
        # Start-Service returns at once on a running service (PowerShell's DoStartService ignores
        # ERROR_SERVICE_ALREADY_RUNNING): a TermService that started while the port was taken
        # binds it only when it starts again.
        Write-Log 'Restart-Service -Name TermService -Force (running, not listening)'
        Restart-Service -Name TermService -Force
        $data.restartedTermService = $true
    } else {
        Write-Log 'Start-Service -Name TermService'
        Start-Service -Name TermService
    }

    for ($i = 0; $i -lt 30; $i++) {
        $listener = Get-Listener $rdpPort
        if ($listener -and ($listener.services -contains 'TermService')) { break }
        Start-Sleep -Seconds 1
    }
    $data.listener = $listener
    $ok = [bool]($listener -and ($listener.services -contains 'TermService'))
    Write-Log "After: $($listener | ConvertTo-Json -Compress)"
    if (-not $ok -and $data.stoppedService) {
        # Stopping it did not give RDP the port: start it again rather than leave it down for nothing.
        Write-Log "Start-Service -Name $($data.stoppedService) (TermService still does not listen)"
        Start-Service -Name $data.stoppedService
        $data.restartedStoppedService = $true
        # Put back by this run itself: nothing left to undo (and the result names no undo file).
        Remove-PriorState $data.undoFile
        $data.undoFile = $null
    }
    $message = if ($ok) { $null } else { "TermService does not listen on port $rdpPort" }
    Write-Result $ok $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
