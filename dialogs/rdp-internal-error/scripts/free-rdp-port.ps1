# rdp-fix-step: free-rdp-port
# Step 1 of the article: stop the service that holds the RDP port, start TermService and
# check that it listens. Safe to run twice: a stopped service stays stopped, a running
# TermService stays running.
param(
    [string]$ServiceName = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'free-rdp-port'
$log = Join-Path $env:ProgramData ('rdp-fix\logs\{0}-{1:yyyyMMdd-HHmmss}.log' -f $stepId, (Get-Date))
New-Item -ItemType Directory -Force -Path (Split-Path $log) | Out-Null

function Write-Log([string]$Message) {
    Add-Content -Path $log -Value ('{0:o} {1}' -f (Get-Date), $Message)
}

function Write-Result([bool]$Ok, $Data, [string]$ErrorMessage) {
    $result = [ordered]@{ step = $stepId; ok = $Ok; log = $log; data = $Data }
    if ($ErrorMessage) { $result.error = $ErrorMessage }
    Write-Output ('RDPFIX-RESULT: ' + ($result | ConvertTo-Json -Compress -Depth 8))
}

function Get-Listener([int]$Port) {
    $conn = Get-NetTCPConnection -LocalPort $Port -State Listen -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $conn) { return $null }
    $ownerPid = [int]$conn.OwningProcess
    $hosted = @(Get-CimInstance -ClassName Win32_Service -Filter "ProcessId = $ownerPid" | ForEach-Object { $_.Name })
    return [ordered]@{ pid = $ownerPid; process = (Get-Process -Id $ownerPid).ProcessName; services = $hosted }
}

$data = [ordered]@{ stoppedService = $null }
try {
    # Run Command passes parameters as strings: validate here too.
    if ($ServiceName -and $ServiceName -notmatch '^[A-Za-z0-9_.-]{1,80}$') { throw "Invalid service name '$ServiceName'" }
    $rdpKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
    $rdpPort = [int](Get-ItemProperty -Path $rdpKey -Name PortNumber).PortNumber
    $data.rdpPort = $rdpPort
    Write-Log "RDP port $rdpPort, before: $((Get-Listener $rdpPort) | ConvertTo-Json -Compress)"

    if ($ServiceName -and $ServiceName -ine 'TermService') {
        $svc = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
        if ($svc -and $svc.Status -ne 'Stopped') {
            Write-Log "Stop-Service -Name $ServiceName -Force"
            Stop-Service -Name $ServiceName -Force
        }
        $data.stoppedService = $ServiceName
    }

    Write-Log 'Start-Service -Name TermService'
    Start-Service -Name TermService

    $listener = $null
    for ($i = 0; $i -lt 30; $i++) {
        $listener = Get-Listener $rdpPort
        if ($listener -and ($listener.services -contains 'TermService')) { break }
        Start-Sleep -Seconds 1
    }
    $data.listener = $listener
    $ok = [bool]($listener -and ($listener.services -contains 'TermService'))
    Write-Log "After: $($listener | ConvertTo-Json -Compress)"
    $message = if ($ok) { $null } else { "TermService does not listen on port $rdpPort" }
    Write-Result $ok $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
