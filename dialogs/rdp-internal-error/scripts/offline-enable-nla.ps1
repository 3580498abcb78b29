# rdp-fix-step: offline-enable-nla
# Offline repair, on the recovery VM: enable Network Level Authentication on the attached
# disk (SecurityLayer=1, UserAuthentication=1, fAllowSecProtocolNegotiation=1) in the active
# control set, then unload the hive. Safe to run twice.
param(
    [string]$DriveLetter = 'F'
)

$ErrorActionPreference = 'Stop'
$stepId = 'offline-enable-nla'
# include: lib/result.ps1

# include: lib/offline-helpers.ps1

# The prior state, for an undo: each value before (null = it did not exist).
$data = [ordered]@{ before = [ordered]@{}; after = [ordered]@{} }
try {
    $root = Assert-DriveLetter $DriveLetter
    $controlSet = Mount-BrokenSystem $root
    try {
        $rdpTcp = "$controlSet\Control\Terminal Server\WinStations\RDP-Tcp"
        foreach ($name in 'SecurityLayer', 'UserAuthentication', 'fAllowSecProtocolNegotiation') {
            $data.before[$name] = (Get-ItemProperty -Path $rdpTcp -Name $name -ErrorAction SilentlyContinue).$name
            Set-ItemProperty -Path $rdpTcp -Name $name -Value 1 -Type DWord
            $data.after[$name] = (Get-ItemProperty -Path $rdpTcp -Name $name).$name
        }
    } finally {
        Dismount-BrokenSystem
    }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
