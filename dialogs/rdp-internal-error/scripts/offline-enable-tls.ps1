# rdp-fix-step: offline-enable-tls
# Offline repair, on the recovery VM: report the TLS values of the attached disk first
# (the text's "check" step wrote values instead of reading them), then set
# Server\Enabled=1 for the chosen versions in the active control set. The text cut a line
# at "REG_DWO"; every value here is a full REG_DWORD. Safe to run twice.
param(
    [string]$DriveLetter = 'F',
    [string]$Versions = '1.2'
)

$ErrorActionPreference = 'Stop'
$stepId = 'offline-enable-tls'
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

# Versions is 'all' (TLS 1.0, 1.1 and 1.2) or '1.2': one word, no commas to split.
function Get-ChosenVersions([string]$Choice) {
    if ($Choice -eq 'all') { return @('TLS 1.0', 'TLS 1.1', 'TLS 1.2') }
    if ($Choice -eq '1.2') { return @('TLS 1.2') }
    throw "Invalid TLS versions '$Choice': expected 1.2 or all"
}

# The prior state, for an undo: Enabled before (null = unset) and the versions whose Server key
# this step created (an undo deletes those keys instead of writing a value back).
$data = [ordered]@{ before = [ordered]@{}; after = [ordered]@{}; createdServerKeys = @(); disabledByDefaultBefore = [ordered]@{} }
try {
    $chosen = Get-ChosenVersions $Versions
    $root = Assert-DriveLetter $DriveLetter
    $controlSet = Mount-BrokenSystem $root
    try {
        foreach ($version in 'TLS 1.0', 'TLS 1.1', 'TLS 1.2') {
            $key = "$controlSet\Control\SecurityProviders\SCHANNEL\Protocols\$version\Server"
            $data.before[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
            if ($chosen -contains $version) {
                # New-Item -Force on an existing key deletes its values and subkeys, DisabledByDefault
                # among them (PowerShell/PowerShell#5444): create the key only when it is missing.
                if (-not (Test-Path $key)) {
                    New-Item -Path $key -Force | Out-Null
                    $data.createdServerKeys += $version
                }
                New-ItemProperty -Path $key -Name Enabled -Value 1 -PropertyType DWord -Force | Out-Null
                # DisabledByDefault=1 keeps the version from TermService as surely as Enabled=0
                # ("TLS registry settings"): set to 0, the value replaced kept for an undo.
                $byDefault = (Get-ItemProperty -Path $key -Name DisabledByDefault -ErrorAction SilentlyContinue).DisabledByDefault
                if ($byDefault -eq 1) {
                    $data.disabledByDefaultBefore[$version] = 1
                    Set-ItemProperty -Path $key -Name DisabledByDefault -Value 0 -Type DWord
                }
            }
            $data.after[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
        }
    } finally {
        Dismount-BrokenSystem
    }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
