# lib/group-policy.ps1: switches Group Policy back on after enable-tls paused it (Step 3.3 of
# the article). Spliced where verify.ps1 and restore-group-policy.ps1 say
# "# include: lib/group-policy.ps1" (src/playbook/script-includes.ts), so both do it the same way.
# Start value (Services\<name>\Start) to the sc.exe config word that sets it.
$StartTypes = @{ 2 = 'auto'; 3 = 'demand'; 4 = 'disabled' }

function Restore-GroupPolicy {
    $saved = Join-Path $env:ProgramData 'rdp-fix\gpsvc-start.txt'
    $gp = [ordered]@{ wasPaused = (Test-Path $saved); savedStart = $null; restored = $false; gpupdateExitCode = $null; error = $null }
    if (-not $gp.wasPaused) { return $gp }
    try {
        # An empty file reads as $null: [string] makes it '', restored as Automatic below.
        $text = ([string](Get-Content -Path $saved -TotalCount 1)).Trim()
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
