# lib/undo-journal.ps1: what a changing step saves before it changes anything, so that
# undo-changes.ps1 can put the VM back exactly (issue 16, "save before change, restore on
# demand"). One JSON file per change under %ProgramData%\rdp-fix\undo, named so that sorting by
# name is the order of the changes; the same prior state is in the step's result, hence in the
# transcript. Spliced by the loader where a script says "# include: lib/undo-journal.ps1"
# (src/playbook/script-includes.ts). Needs Write-Log from the including script.

function Get-UndoFolder { return (Join-Path $env:ProgramData 'rdp-fix\undo') }

# Writes the prior state of one change; returns the file's path (for the result).
function Save-PriorState([string]$Step, $Prior) {
    $folder = Get-UndoFolder
    New-Item -ItemType Directory -Force -Path $folder | Out-Null
    $file = Join-Path $folder ('{0:yyyyMMdd-HHmmss-fff}-{1}.json' -f (Get-Date), $Step)
    $entry = [ordered]@{ step = $Step; savedAt = (Get-Date).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"); prior = $Prior }
    Set-Content -LiteralPath $file -Value ($entry | ConvertTo-Json -Depth 6) -Encoding UTF8
    Write-Log "prior state saved: $file"
    return $file
}

# A change that did not happen after all (the step put everything back itself): nothing to undo.
function Remove-PriorState([string]$File) {
    if ($File -and (Test-Path -LiteralPath $File)) { Remove-Item -LiteralPath $File }
}
