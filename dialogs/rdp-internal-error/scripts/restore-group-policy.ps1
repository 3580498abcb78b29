# rdp-fix-step: restore-group-policy
# Step 3.3 of the article on its own: switch Group Policy back on when the incident ends
# without the verification doing it (the restart failed, the verification was skipped or
# failed, the incident was aborted or expired after enable-tls paused Group Policy). The
# restore below is the same text as in verify.ps1 (a test checks it): the start type goes back
# to the value enable-tls saved, the service starts, gpupdate /force runs. Without the saved
# value nothing is changed. Safe to run twice.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'restore-group-policy'
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

# region group-policy: the same text in verify.ps1 and restore-group-policy.ps1 (test/playbook/scripts-parse.test.ts)
# Start value (Services\<name>\Start) to the sc.exe config word that sets it.
$StartTypes = @{ 2 = 'auto'; 3 = 'demand'; 4 = 'disabled' }

function Restore-GroupPolicy {
    $saved = Join-Path $env:ProgramData 'rdp-fix\gpsvc-start.txt'
    $gp = [ordered]@{ wasPaused = (Test-Path $saved); savedStart = $null; restored = $false; gpupdateExitCode = $null; error = $null }
    if (-not $gp.wasPaused) { return $gp }
    try {
        $text = (Get-Content -Path $saved -TotalCount 1).Trim()
        $value = 0
        # Anything but a start type we know (a damaged file) is restored as Automatic, Windows' default for gpsvc.
        if (-not [int]::TryParse($text, [ref]$value) -or -not $StartTypes.ContainsKey($value)) { $value = 2 }
        $gp.savedStart = $value
        $output = & sc.exe config gpsvc start= $StartTypes[$value]
        Write-Log ($output | Out-String)
        if ($LASTEXITCODE -ne 0) { throw "sc.exe config gpsvc failed with exit code $LASTEXITCODE" }
        if ($value -ne 4) {
            $output = & sc.exe start gpsvc
            Write-Log ($output | Out-String)
            # 1056: the service is already running.
            if ($LASTEXITCODE -ne 0 -and $LASTEXITCODE -ne 1056) { throw "sc.exe start gpsvc failed with exit code $LASTEXITCODE" }
            # gpupdate asks "OK to restart? (Y/N)" when a policy needs one; Run Command has no
            # console to answer it: the answer is No, the one restart of the playbook is done.
            $output = 'N' | & gpupdate.exe /force
            Write-Log ($output | Out-String)
            $gp.gpupdateExitCode = $LASTEXITCODE
        }
        Remove-Item -Path $saved
        $gp.restored = $true
    } catch {
        Write-Log ($_ | Out-String)
        $gp.error = $_.Exception.Message
    }
    return $gp
}
# endregion group-policy

$data = [ordered]@{}
try {
    $data = Restore-GroupPolicy
    $data.start = (Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\gpsvc' -Name Start).Start
    $data.status = [string](Get-Service -Name gpsvc).Status
    Write-Result (-not $data.error) $data $data.error
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
