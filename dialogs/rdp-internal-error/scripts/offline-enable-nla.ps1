# rdp-fix-step: offline-enable-nla
# Offline repair, on the recovery VM: enable Network Level Authentication on the attached
# disk (SecurityLayer=1, UserAuthentication=1, fAllowSecProtocolNegotiation=1) in the active
# control set, then unload the hive. Safe to run twice.
param(
    [string]$DriveLetter = 'F'
)

$ErrorActionPreference = 'Stop'
$stepId = 'offline-enable-nla'
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

# region offline-helpers (the same in every offline-*.ps1; test/playbook/offline-scripts.test.ts holds them equal)
# The attached disk's Windows partition, as "<letter>:", after checking it holds a Windows installation.
function Assert-DriveLetter([string]$Letter) {
    if ($Letter -notmatch '^[D-Zd-z]$') { throw "Invalid drive letter '$Letter': expected one letter D-Z" }
    $root = "$($Letter.ToUpper()):"
    if (-not (Test-Path "$root\Windows\System32\config\SYSTEM")) { throw "No Windows installation found on $root" }
    return $root
}

# Loads the attached disk's SYSTEM hive (the text's "SYSTEM.hiv" does not exist) and
# returns the path of its active control set, read from Select\Current.
# reg.exe returns 0 on success and 1 on failure (learn.microsoft.com/windows-server/administration/windows-commands/reg-load).
function Mount-BrokenSystem([string]$Root) {
    if (-not (Test-Path 'HKLM:\BROKENSYSTEM')) {
        & reg.exe load 'HKLM\BROKENSYSTEM' "$Root\Windows\System32\config\SYSTEM" | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "reg load failed for $Root\Windows\System32\config\SYSTEM" }
    }
    $current = (Get-ItemProperty -Path 'HKLM:\BROKENSYSTEM\Select' -Name Current).Current
    return ('HKLM:\BROKENSYSTEM\ControlSet{0:D3}' -f [int]$current)
}

# Unloads the hive, or fails the step: a hive left loaded keeps the disk's SYSTEM file open, so
# the disk cannot be detached cleanly and the repair may not reach the VM. reg unload fails
# (exit code 1, "Access is denied") while a handle into the hive is still open, e.g. a registry
# key object PowerShell has not released yet: collect, wait, try again
# (learn.microsoft.com/windows-server/administration/windows-commands/reg-unload).
function Dismount-BrokenSystem {
    $exitCode = 0
    for ($attempt = 1; $attempt -le 3; $attempt++) {
        [gc]::Collect()
        [gc]::WaitForPendingFinalizers()
        & reg.exe unload 'HKLM\BROKENSYSTEM' | Out-Null
        $exitCode = $LASTEXITCODE
        if ($exitCode -eq 0 -and -not (Test-Path 'HKLM:\BROKENSYSTEM')) { return }
        Start-Sleep -Seconds 2
    }
    throw "reg unload HKLM\BROKENSYSTEM failed (exit code $exitCode): the hive is still loaded; close what uses it, run reg unload HKLM\BROKENSYSTEM, then detach the disk"
}
# endregion offline-helpers

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
