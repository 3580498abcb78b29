# lib/undo-journal.ps1: what a changing step saves before it changes anything, so that
# undo-changes.ps1 can put the VM back exactly (issue 16, "save before change, restore on
# demand"). One JSON file per change under %ProgramData%\rdp-fix\undo\<incident id> (the
# engine passes $IncidentId: an undo never touches an earlier incident's changes), named by the
# UTC time so that sorting by name is the order of the changes; the same prior state is in the
# step's result, hence in the transcript. Spliced by the loader where a script says "# include: lib/undo-journal.ps1"
# (src/playbook/script-includes.ts). Needs Write-Log (lib/result.ps1).

function Get-UndoFolder {
    if ($IncidentId -notmatch '^[A-Za-z0-9-]{1,64}$') { throw "Invalid incident id '$IncidentId'" }
    return (Join-Path $env:ProgramData "rdp-fix\undo\$IncidentId")
}

# Writes the prior state of one change; returns the file's path (for the result).
function Save-PriorState([string]$Step, $Prior) {
    $folder = Get-UndoFolder
    New-Item -ItemType Directory -Force -Path $folder | Out-Null
    # UTC and the invariant culture: a clock change or a Thai calendar must not reorder the files.
    $now = (Get-Date).ToUniversalTime()
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    $file = Join-Path $folder ('{0}-{1}.json' -f $now.ToString('yyyyMMdd-HHmmss-fff', $invariant), $Step)
    $entry = [ordered]@{ step = $Step; savedAt = $now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", $invariant); prior = $Prior }
    Set-Content -LiteralPath $file -Value ($entry | ConvertTo-Json -Depth 6) -Encoding UTF8
    Write-Log "prior state saved: $file"
    return $file
}

# A change that did not happen after all (the step put everything back itself): nothing to undo.
function Remove-PriorState([string]$File) {
    if ($File -and (Test-Path -LiteralPath $File)) { Remove-Item -LiteralPath $File }
}
