# lib/tls.ps1: shared by the break scripts that include it ("# include: lib/tls.ps1"),
# spliced in by the lab's loader (src/lab/break-lab.ts, src/playbook/script-includes.ts).
# SCHANNEL's per-protocol server switch: HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\
# SCHANNEL\Protocols\<version>\Server, DWORD Enabled, 0 = off ("Transport Layer Security (TLS)
# registry settings", learn.microsoft.com/windows-server/security/tls/tls-registry-settings).
# Schannel reads them when Windows starts: RDP fails after a restart (`rdp-fix lab break --restart`).
function Disable-ServerTls {
    $before = [ordered]@{}
    foreach ($version in 'TLS 1.0', 'TLS 1.1', 'TLS 1.2') {
        $key = "HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\$version\Server"
        if (-not (Test-Path -Path $key)) { New-Item -Path $key -Force | Out-Null }
        $before[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
        New-ItemProperty -Path $key -Name Enabled -Value 0 -PropertyType DWord -Force | Out-Null
        Write-Log "$key Enabled: $($before[$version]) -> 0"
    }
    return $before
}
