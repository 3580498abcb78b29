# rdp-fix-step: enable-tls
# Steps 3.1 and 3.2 of the article, both done before the one restart:
# - set SCHANNEL ...\<version>\Server Enabled=1 (REG_DWORD), only for the versions asked for:
#   TLS 1.2 by default, because re-enabling 1.0 and 1.1 weakens security;
# - set the Group Policy service to disabled (gpsvc Start=4) so that a domain policy cannot
#   undo it at the restart. The previous value is saved on the VM for verify (which switches
#   Group Policy back on after the restart) or restore-group-policy (any other way to the end).
#   On some Windows builds the gpsvc key refuses writes even to SYSTEM: the step then fails
#   and says so.
# Takes effect at the next restart. Safe to run twice (the first saved gpsvc value is kept).
param(
    [string]$Versions = '1.2',
    [string]$PauseGroupPolicy = 'true',
    # Supplied by rdp-fix itself, not a person: the incident this change belongs to (lib/undo-journal.ps1).
    [string]$IncidentId = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'enable-tls'
# include: lib/result.ps1

# include: lib/undo-journal.ps1
# Versions is 'all' (TLS 1.0, 1.1 and 1.2) or '1.2': one word, no commas to split.
function Get-ChosenVersions([string]$Choice) {
    if ($Choice -eq 'all') { return @('TLS 1.0', 'TLS 1.1', 'TLS 1.2') }
    if ($Choice -eq '1.2') { return @('TLS 1.2') }
    throw "Invalid TLS versions '$Choice': expected 1.2 or all"
}

# The prior state, for an undo: Enabled before (null = unset) and the versions whose Server key
# this step created (an undo deletes those keys instead of writing a value back), and the
# DisabledByDefault values it set back to 0.
$data = [ordered]@{ before = [ordered]@{}; after = [ordered]@{}; createdServerKeys = @(); disabledByDefaultBefore = [ordered]@{} }
try {
    # Run Command passes parameters as strings: validate here too.
    $chosen = Get-ChosenVersions $Versions
    if ($PauseGroupPolicy -notin @('true', 'false')) { throw "Invalid PauseGroupPolicy '$PauseGroupPolicy'" }
    $protocols = 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols'
    # Saved before anything changes (lib/undo-journal.ps1): the values and the keys that will be created.
    $prior = [ordered]@{ versions = @($chosen); enabled = [ordered]@{}; disabledByDefault = [ordered]@{}; createdServerKeys = @() }
    foreach ($version in 'TLS 1.0', 'TLS 1.1', 'TLS 1.2') {
        $key = "$protocols\$version\Server"
        $prior.enabled[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
        $prior.disabledByDefault[$version] = (Get-ItemProperty -Path $key -Name DisabledByDefault -ErrorAction SilentlyContinue).DisabledByDefault
        if ($chosen -contains $version -and -not (Test-Path $key)) { $prior.createdServerKeys += $version }
    }
    $data.undoFile = Save-PriorState $stepId $prior
    foreach ($version in 'TLS 1.0', 'TLS 1.1', 'TLS 1.2') {
        $key = "$protocols\$version\Server"
        $data.before[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
        if ($chosen -contains $version) {
            Write-Log "Set $key Enabled=1"
            # New-Item -Force on an existing key deletes its values and subkeys, DisabledByDefault
            # among them (PowerShell/PowerShell#5444): create the key only when it is missing
            # (-Force then creates a missing parent key too).
            if (-not (Test-Path $key)) {
                New-Item -Path $key -Force | Out-Null
                $data.createdServerKeys += $version
            }
            New-ItemProperty -Path $key -Name Enabled -Value 1 -PropertyType DWord -Force | Out-Null
            # DisabledByDefault=1 keeps the version from a server that asks for the defaults, as
            # TermService does ("TLS registry settings", learn.microsoft.com/windows-server/security/tls/tls-registry-settings):
            # set it to 0 and keep the value replaced, for an undo.
            $byDefault = (Get-ItemProperty -Path $key -Name DisabledByDefault -ErrorAction SilentlyContinue).DisabledByDefault
            if ($byDefault -eq 1) {
                Write-Log "Set $key DisabledByDefault=0 (was 1)"
                $data.disabledByDefaultBefore[$version] = 1
                Set-ItemProperty -Path $key -Name DisabledByDefault -Value 0 -Type DWord
            }
        }
        $data.after[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
    }
    if ($PauseGroupPolicy -eq 'true') {
        $gpsvc = 'HKLM:\SYSTEM\CurrentControlSet\Services\gpsvc'
        $saved = Join-Path $env:ProgramData 'rdp-fix\gpsvc-start.txt'
        $data.gpsvcPreviousStart = (Get-ItemProperty -Path $gpsvc -Name Start).Start
        if (-not (Test-Path $saved)) { Set-Content -Path $saved -Value $data.gpsvcPreviousStart }
        Write-Log "Set $gpsvc Start=4 (was $($data.gpsvcPreviousStart))"
        Set-ItemProperty -Path $gpsvc -Name Start -Value 4 -Type DWord
        $data.gpsvcStart = (Get-ItemProperty -Path $gpsvc -Name Start).Start
    }
    $ok = ($data.after['TLS 1.2'] -eq 1) -and ($PauseGroupPolicy -eq 'false' -or $data.gpsvcStart -eq 4)
    Write-Result $ok $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
