# rdp-fix-step: diagnose
# Read-only. Gathers all the evidence for the article's causes in one Run Command and
# prints it as one JSON object on the last line: Azure returns only the last 4,096 bytes
# of output, so the result goes last, cut to fit, and the details go to the log file on the
# VM. The evidence is read by lib/evidence.ps1, spliced in below by the playbook loader, the
# same text verify.ps1 runs: the verification reads exactly what the diagnosis read.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'diagnose'
# include: lib/result.ps1
# include: lib/result-limit.ps1

# include: lib/evidence.ps1

try {
    $data = Get-Evidence
    Write-Log ($data | ConvertTo-Json -Depth 8)
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
