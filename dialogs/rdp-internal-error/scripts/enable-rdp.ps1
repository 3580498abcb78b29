# rdp-fix-step: enable-rdp
# Before the article: Remote Desktop switched off (fDenyTSConnections=1) or TermService
# disabled. The same commands as "Troubleshoot an RDP general error in Azure VM"
# (learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/troubleshoot-rdp-general-error):
# fDenyTSConnections=0 under Control\Terminal Server, TermService's start type back to Manual
# (Windows' default, "sc.exe config TermService start= demand"), then start it. A policy value
# (Policies\Microsoft\Windows NT\Terminal Services) wins over the local one: when it denies,
# nothing is changed and the step fails, naming the policy. The values before are in the
# result, so a person can put them back. Safe to run twice.
param(
    # Supplied by rdp-fix itself, not a person: the incident this change belongs to (lib/undo-journal.ps1).
    [string]$IncidentId = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'enable-rdp'
# include: lib/result.ps1

# include: lib/undo-journal.ps1

$terminalServer = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server'
$policy = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services'
$data = [ordered]@{ before = [ordered]@{}; after = [ordered]@{} }
try {
    $data.before.fDenyTSConnections = (Get-ItemProperty -LiteralPath $terminalServer -Name fDenyTSConnections -ErrorAction SilentlyContinue).fDenyTSConnections
    $data.before.policyDeny = $null
    if (Test-Path -LiteralPath $policy) {
        $data.before.policyDeny = (Get-ItemProperty -LiteralPath $policy -Name fDenyTSConnections -ErrorAction SilentlyContinue).fDenyTSConnections
    }
    $service = Get-Service -Name TermService
    $data.before.termServiceStartType = [string]$service.StartType
    $data.before.termServiceStatus = [string]$service.Status
    if ($data.before.policyDeny -ne 1) {
        $data.undoFile = Save-PriorState $stepId ([ordered]@{
            fDenyTSConnections = $data.before.fDenyTSConnections
            termServiceStartType = $data.before.termServiceStartType
            termServiceStatus = $data.before.termServiceStatus
        })
    }
    if ($data.before.policyDeny -eq 1) {
        throw 'A Group Policy denies Remote Desktop connections (fDenyTSConnections=1 under Policies\Microsoft\Windows NT\Terminal Services): change the policy "Allow users to connect remotely by using Remote Desktop Services"; a local change would not apply'
    }
    if ($data.before.fDenyTSConnections -ne 0) {
        Write-Log "Set $terminalServer fDenyTSConnections=0 (was $($data.before.fDenyTSConnections))"
        Set-ItemProperty -LiteralPath $terminalServer -Name fDenyTSConnections -Value 0 -Type DWord
    }
    if ($service.StartType -eq 'Disabled') {
        $output = & sc.exe config TermService start= demand
        Write-Log ($output | Out-String)
        if ($LASTEXITCODE -ne 0) { throw "sc.exe config TermService failed with exit code $LASTEXITCODE" }
    }
    Start-Service -Name TermService
    $service = Get-Service -Name TermService
    $data.after.fDenyTSConnections = (Get-ItemProperty -LiteralPath $terminalServer -Name fDenyTSConnections).fDenyTSConnections
    $data.after.termServiceStartType = [string]$service.StartType
    $data.after.termServiceStatus = [string]$service.Status
    $port = [int](Get-ItemProperty -LiteralPath "$terminalServer\WinStations\RDP-Tcp" -Name PortNumber).PortNumber
    # The listener comes up a moment after the service: wait up to 30 s for it.
    $listening = $false
    for ($i = 0; $i -lt 30 -and -not $listening; $i++) {
        $listening = [bool](Get-NetTCPConnection -LocalPort $port -State Listen -ErrorAction SilentlyContinue)
        if (-not $listening) { Start-Sleep -Seconds 1 }
    }
    $data.rdpPort = $port
    $data.listening = $listening
    $message = if ($listening) { $null } else { "TermService runs but nothing listens on port $port" }
    Write-Result $listening $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
