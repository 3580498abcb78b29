# lib/policy.ps1: shared by the break scripts that include it ("# include: lib/policy.ps1"),
# spliced in by the lab's loader (src/lab/break-lab.ts, src/playbook/script-includes.ts).
# A domain GPO that disables TLS writes its value again at every Group Policy refresh. A lab VM is
# in no domain, so a policy value and a scheduled task stand in for it: the value lives where
# policies live (HKLM\SOFTWARE\Policies\rdp-fix-lab, SchannelTls12ServerEnabled = 0), and the task,
# started by the event Group Policy logs once it has processed the computer's policy (System log,
# Microsoft-Windows-GroupPolicy 1500 "no changes detected" and 1502 "new settings applied"), writes
# it to SCHANNEL's TLS 1.2 Server Enabled. While gpsvc is disabled (the article's pause, Start=4)
# no policy is processed and TLS stays on; once Group Policy runs again, TLS goes off again, which
# is what the playbook must recognise as enforced by a policy. schtasks /create /sc ONEVENT /ec /mo
# (an XPath query): learn.microsoft.com/windows-server/administration/windows-commands/schtasks-create.
# Undo: delete the value, or `schtasks /delete /tn "rdp-fix-lab\TLS policy" /f`.
function Register-TlsPolicy {
    $policyKey = 'HKLM:\SOFTWARE\Policies\rdp-fix-lab'
    if (-not (Test-Path -Path $policyKey)) { New-Item -Path $policyKey -Force | Out-Null }
    New-ItemProperty -Path $policyKey -Name SchannelTls12ServerEnabled -Value 0 -PropertyType DWord -Force | Out-Null
    $dir = Join-Path $env:ProgramData 'rdp-fix-lab'
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    $cmd = Join-Path $dir 'apply-tls-policy.cmd'
    Set-Content -Path $cmd -Encoding Ascii -Value @(
        '@echo off',
        'for /f "tokens=3" %%v in (''reg.exe query "HKLM\SOFTWARE\Policies\rdp-fix-lab" /v SchannelTls12ServerEnabled 2^>nul ^| find "REG_DWORD"'') do reg.exe add "HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server" /v Enabled /t REG_DWORD /d %%v /f'
    )
    $task = 'rdp-fix-lab\TLS policy'
    $query = "*[System[Provider[@Name='Microsoft-Windows-GroupPolicy'] and (EventID=1500 or EventID=1502)]]"
    & schtasks.exe /Create /F /TN $task /RU SYSTEM /SC ONEVENT /EC System /MO $query /TR "`"$cmd`"" 2>&1 | ForEach-Object { Write-Log $_ }
    if ($LASTEXITCODE -ne 0) { throw "schtasks /Create failed with exit code $LASTEXITCODE" }
    return [ordered]@{ policyValue = "$policyKey\SchannelTls12ServerEnabled"; task = $task; command = $cmd }
}
