# rdp-fix-step: change-rdp-port
# Step 1 of the article when the program on the RDP port cannot be stopped: move RDP to
# another port, restart TermService and open the port in the Windows firewall. The text's
# registry path lacked "HKLM:" and asked for a hex value; this sets the decimal DWORD.
# Safe to run twice with the same port.
param(
    [string]$Port = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'change-rdp-port'
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

$data = [ordered]@{}
try {
    # Run Command passes parameters as strings: validate and cast here too.
    $newPort = 0
    if (-not [int]::TryParse($Port, [ref]$newPort) -or $newPort -lt 1025 -or $newPort -gt 65535) {
        throw "Invalid port '$Port': expected 1025-65535"
    }
    $rdpKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
    $data.previousPort = [int](Get-ItemProperty -Path $rdpKey -Name PortNumber).PortNumber
    $busy = Get-NetTCPConnection -LocalPort $newPort -State Listen -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($busy -and $newPort -ne $data.previousPort) { throw "Port $newPort is already in use by process $($busy.OwningProcess)" }

    Write-Log "Set-ItemProperty PortNumber $($data.previousPort) -> $newPort"
    Set-ItemProperty -Path $rdpKey -Name PortNumber -Value $newPort -Type DWord
    Stop-Service -Name TermService -Force
    Start-Service -Name TermService
    Write-Log "Set-NetFirewallRule RemoteDesktop-UserMode-In-TCP -LocalPort $newPort"
    Set-NetFirewallRule -Name 'RemoteDesktop-UserMode-In-TCP' -LocalPort $newPort
    Set-NetFirewallRule -Name 'RemoteDesktop-UserMode-In-UDP' -LocalPort $newPort -ErrorAction SilentlyContinue

    $listening = $false
    for ($i = 0; $i -lt 30 -and -not $listening; $i++) {
        $listening = [bool](Get-NetTCPConnection -LocalPort $newPort -State Listen -ErrorAction SilentlyContinue)
        if (-not $listening) { Start-Sleep -Seconds 1 }
    }
    $data.rdpPort = $newPort
    $data.listening = $listening
    $message = if ($listening) { $null } else { "TermService does not listen on port $newPort" }
    Write-Result $listening $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
