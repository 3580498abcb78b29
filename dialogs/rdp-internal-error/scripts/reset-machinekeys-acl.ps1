# rdp-fix-step: reset-machinekeys-acl
# Step 2.3 of the article, aimed where the fault is: the RDP listener's private key file. The
# article resets the whole MachineKeys folder recursively (takeown /r, icacls /t), which
# rewrites the ACL of every machine key on the VM and, on a healthy folder, replaces Windows'
# default ACL (KB 278381, "Default permissions for the MachineKeys folders"). What RDP needs is
# that TermService (NETWORK SERVICE) can read the key of the certificate the listener uses
# ("Troubleshoot Azure VM RDP connection issues by Event ID": event 36870). So: find that key
# file (lib/evidence.ps1, the same code the diagnosis ran), save its ACL as SDDL, remove the
# Deny entries for NETWORK SERVICE's token, grant the article's three by SID (icacls *SID
# syntax, learn.microsoft.com/windows-server/administration/windows-commands/icacls; names
# are localized, SIDs are not), restart TermService. Nothing is taken over, no prompt is
# answered (takeown's /d answer letter is localized). A key file that is gone is the
# certificate's fix (renew), not this one. The SDDL before is in the result: Set-Acl with it
# puts the file back exactly. Safe to run twice.
param(
    # Supplied by rdp-fix itself, not a person: the incident this change belongs to (lib/undo-journal.ps1).
    [string]$IncidentId = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'reset-machinekeys-acl'
# include: lib/result.ps1

# include: lib/evidence.ps1
# include: lib/undo-journal.ps1

# Runs icacls on one file; its output goes to the log, a non-zero exit code stops the step.
function Invoke-Icacls([string]$Path, [string[]]$Arguments) {
    $output = & icacls.exe $Path @Arguments
    Write-Log ("icacls $Path $($Arguments -join ' '):`n" + ($output | Out-String))
    if ($LASTEXITCODE -ne 0) { throw "icacls $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

$data = [ordered]@{ keyFile = $null; beforeFile = $null; beforeSddl = $null; afterSddl = $null; readable = $false }
try {
    $certificate = Get-ListenerCertificate
    if (-not $certificate.present) { throw 'The RDP listener has no certificate: renew it instead' }
    $keyFile = Get-KeyFile $certificate.cert
    if (-not $keyFile.found) { throw "The key file of certificate $($certificate.thumbprint) does not exist: renew the certificate instead" }
    if (-not $keyFile.path) { throw 'The key file of the listener certificate cannot be opened even by SYSTEM; repair it offline' }
    $data.keyFile = $keyFile.path
    $before = (Get-Acl -LiteralPath $keyFile.path).Sddl
    Write-Log "before: $before"
    # The exact ACL before goes to a file on the VM as well; the result line carries it only
    # while it is short (a file with many ACEs must not push the line past Azure's 4,096 bytes).
    $dumps = Join-Path $env:ProgramData 'rdp-fix\acl'
    New-Item -ItemType Directory -Force -Path $dumps | Out-Null
    $data.beforeFile = Join-Path $dumps ('{0}-before-{1:yyyyMMdd-HHmmss}.sddl' -f (Split-Path -Leaf $keyFile.path), (Get-Date))
    Set-Content -LiteralPath $data.beforeFile -Value $before
    $data.undoFile = Save-PriorState $stepId ([ordered]@{ keyFile = $keyFile.path; sddl = $before })
    if ($before.Length -le 1500) { $data.beforeSddl = $before }
    foreach ($sid in $NetworkServiceTokenSids) { Invoke-Icacls $keyFile.path @('/remove:d', "*$sid") }
    Invoke-Icacls $keyFile.path @('/grant', "*$($SidSystem):(F)", "*$($SidAdministrators):(F)", "*$($SidNetworkService):(R)")
    $after = Get-Acl -LiteralPath $keyFile.path
    if ($after.Sddl.Length -le 1500) { $data.afterSddl = $after.Sddl }
    $data.readable = (Test-NetworkServiceCanRead $after).readable
    Restart-Service -Name TermService -Force
    $message = if ($data.readable) { $null } else { 'NETWORK SERVICE still cannot read the key file' }
    Write-Result $data.readable $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
