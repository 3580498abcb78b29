# rdp-fix-step: undo-changes
# Puts the VM back as it was before this incident's changes, newest change first, from the prior
# states the changing steps saved (lib/undo-journal.ps1; the same values are in the transcript).
# Offered when the fixes did not bring RDP back. Each change is restored on its own, so one that
# cannot be restored does not keep the others from being restored; a restored change's file is
# removed, one that failed stays (running this again retries it). Group Policy is switched back
# on as after enable-tls (lib/group-policy.ps1). A certificate the renewal deleted cannot come
# back (it was expired or broken): that change is not recorded. With -Step, only that step's
# changes go back, and Group Policy only with enable-tls's (it paused Group Policy so that a
# domain policy cannot switch TLS off again before the restart). Safe to run twice: what is
# put back is no longer saved, so a second run restores nothing and succeeds.
param(
    # One step's change (its id, as the journal files name it), or all of them.
    [string]$Step = 'all',
    # Supplied by rdp-fix itself, not a person: the incident this change belongs to (lib/undo-journal.ps1).
    [string]$IncidentId = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'undo-changes'
# include: lib/result.ps1

# include: lib/undo-journal.ps1
# include: lib/group-policy.ps1

$RdpTcp = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
$Protocols = 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols'

# Sets a DWORD value back, or deletes it when it did not exist before ($null).
function Restore-DwordValue([string]$Key, [string]$Name, $Value) {
    if ($null -eq $Value) { Remove-ItemProperty -LiteralPath $Key -Name $Name -ErrorAction SilentlyContinue }
    else { Set-ItemProperty -LiteralPath $Key -Name $Name -Value ([int]$Value) -Type DWord }
}

# One change back, by the step that made it.
function Restore-Change($Entry) {
    $prior = $Entry.prior
    switch ($Entry.step) {
        'enable-tls' {
            # Only the versions it changed: the others may have been set since by a domain policy.
            foreach ($version in @($prior.versions)) {
                $key = "$Protocols\$version\Server"
                if (@($prior.createdServerKeys) -contains $version) {
                    if (Test-Path -LiteralPath $key) { Remove-Item -LiteralPath $key -Recurse }
                    continue
                }
                if (-not (Test-Path -LiteralPath $key)) { continue }
                Restore-DwordValue $key 'Enabled' $prior.enabled.$version
                if ($null -ne $prior.disabledByDefault.$version) { Restore-DwordValue $key 'DisabledByDefault' $prior.disabledByDefault.$version }
            }
        }
        'change-rdp-port' {
            foreach ($rule in @($prior.firewall.PSObject.Properties.Name)) {
                $ports = $prior.firewall.$rule
                if ($null -ne $ports) { Set-NetFirewallRule -Name $rule -LocalPort @($ports) }
            }
            Set-ItemProperty -LiteralPath $RdpTcp -Name PortNumber -Value ([int]$prior.port) -Type DWord
            Restart-Service -Name TermService -Force
        }
        'free-rdp-port' {
            # TermService holds the port now: the stopped service gets it back only if TermService
            # lets go first, and TermService starts again afterwards (running without the port, as
            # before the fix) when it ran before.
            if ($prior.stoppedService -and $prior.status -eq 'Running') {
                Stop-Service -Name TermService -Force
                Start-Service -Name $prior.stoppedService
                if ($prior.termServiceStatus -eq 'Running') { Start-Service -Name TermService }
            }
        }
        'reset-machinekeys-acl' {
            # The SDDL Get-Acl read before the repair, put back as it was (Set-Acl takes a
            # FileSecurity whose descriptor is set from it).
            # Only the permissions (the part the repair changed): Set-Acl would write every section,
            # dropping any audit entries (Get-Acl without -Audit reads no SACL).
            $acl = Get-Acl -LiteralPath $prior.keyFile
            $acl.SetSecurityDescriptorSddlForm($prior.sddl, [System.Security.AccessControl.AccessControlSections]::Access)
            [System.IO.File]::SetAccessControl($prior.keyFile, $acl)
            Restart-Service -Name TermService -Force
        }
        'enable-rdp' {
            Restore-DwordValue 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server' 'fDenyTSConnections' $prior.fDenyTSConnections
            if ($prior.termServiceStartType -eq 'Disabled') {
                $output = & sc.exe config TermService start= disabled
                Write-Log ($output | Out-String)
                if ($LASTEXITCODE -ne 0) { throw "sc.exe config TermService failed with exit code $LASTEXITCODE" }
            }
            if ($prior.termServiceStatus -ne 'Running') { Stop-Service -Name TermService -Force }
        }
        default { throw "no undo known for step '$($Entry.step)'" }
    }
}

$data = [ordered]@{ step = $Step; restored = @(); failed = @(); groupPolicy = $null }
try {
    if ($Step -notmatch '^(all|[a-z][a-z0-9-]{1,62})$') { throw "Invalid step '$Step'" }
    $folder = Get-UndoFolder
    # Files are named <UTC time>-<step>.json (lib/undo-journal.ps1): one step's are found by name,
    # so that another step's damaged file does not fail this undo.
    $filter = if ($Step -eq 'all') { '*.json' } else { "*-$Step.json" }
    $files = @(Get-ChildItem -LiteralPath $folder -Filter $filter -ErrorAction SilentlyContinue | Sort-Object -Property Name -Descending)
    foreach ($file in $files) {
        $what = $file.Name
        try {
            # A file that does not parse is one failure, not the end of the undo.
            $entry = Get-Content -LiteralPath $file.FullName -Raw | ConvertFrom-Json
            $what = $entry.step
            if ($Step -ne 'all' -and $entry.step -ne $Step) { continue }
            Write-Log "undo $($entry.step) from $($file.Name)"
            Restore-Change $entry
            Remove-PriorState $file.FullName
            $data.restored += $entry.step
        } catch {
            Write-Log ($_ | Out-String)
            $data.failed += "${what}: $($_.Exception.Message)"
        }
    }
    if ($Step -eq 'all' -or $Step -eq 'enable-tls') { $data.groupPolicy = Restore-GroupPolicy }
    # Nothing saved for the step (already put back by an earlier run whose result was lost, or a
    # step that changed nothing): nothing to do, and no failure ("restored" says none).
    $problems = @($data.failed)
    if ($data.groupPolicy.error) { $problems += "Group Policy: $($data.groupPolicy.error)" }
    $message = if ($problems.Count -gt 0) { 'Not restored: ' + ($problems -join '; ') } else { $null }
    Write-Result ($problems.Count -eq 0) $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
