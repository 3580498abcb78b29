# lib/result-limit.ps1: cuts a result line to fit, for the scripts whose result can grow
# (diagnose.ps1, verify.ps1: the evidence). Included after lib/result.ps1, whose pass-through
# Limit-ResultLine and Limit-Strings these replace.
# Azure keeps only the last 4,096 bytes of a Run Command's output, and the result line must fit
# whole ("Run scripts in your Windows VM by using action Run Commands", learn.microsoft.com/azure/virtual-machines/windows/run-command).
# Long texts (error messages, names) are cut shorter and shorter until the line fits; the full
# evidence is in the log file on the VM.
function Limit-ResultLine([scriptblock]$Render, [int]$Budget = 3900) {
    $line = & $Render 0
    foreach ($limit in 200, 120, 60, 24) {
        if ([System.Text.Encoding]::UTF8.GetByteCount($line) -le $Budget) { return $line }
        $line = & $Render $limit
    }
    return $line
}

# A copy of a result with every string longer than $Limit cut to it and every list to 8 items.
function Limit-Strings($Value, [int]$Limit) {
    if ($null -eq $Value -or $Limit -le 0) { return $Value }
    if ($Value -is [string]) { if ($Value.Length -gt $Limit) { return $Value.Substring(0, $Limit - 3) + '...' } else { return $Value } }
    if ($Value -is [System.Collections.IDictionary]) {
        $copy = [ordered]@{}
        foreach ($key in @($Value.Keys)) { $copy[$key] = Limit-Strings $Value[$key] $Limit }
        return $copy
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        return , @(@($Value) | Select-Object -First 8 | ForEach-Object { Limit-Strings $_ $Limit })
    }
    return $Value
}
