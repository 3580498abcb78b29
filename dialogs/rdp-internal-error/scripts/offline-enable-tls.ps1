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
# include: lib/result.ps1

# include: lib/offline-helpers.ps1

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
