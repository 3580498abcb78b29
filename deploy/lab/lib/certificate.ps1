# lib/certificate.ps1: shared by the break scripts that include it ("# include: lib/certificate.ps1"),
# spliced in by the lab's loader (src/lab/break-lab.ts, src/playbook/script-includes.ts).
# An expired certificate becomes the listener's, where the article's case has it: the Remote
# Desktop store, in place of the self-signed one (the article's Step 2.1 renews it by removing it
# there and restarting SessionEnv). New-SelfSignedCertificate takes -NotBefore and -NotAfter, the
# past included (learn.microsoft.com/powershell/module/pki/new-selfsignedcertificate); -Provider
# names a CryptoAPI provider so the key lands in RSA\MachineKeys like the self-signed RDP
# certificate's. It is set on the listener through WMI, Win32_TSGeneralSetting
# SSLCertificateSHA1Hash (the listener-certificate article above) while it is still in the
# Personal store, then moved (the certificate provider's Move-Item between LocalMachine stores)
# and the previous certificates of the Remote Desktop store removed. NETWORK SERVICE (S-1-5-20),
# TermService's account, is granted read on the key, so that this break is the expiry alone.
function Set-ExpiredListenerCertificate {
    $now = Get-Date
    $cert = New-SelfSignedCertificate -DnsName $env:COMPUTERNAME -CertStoreLocation 'Cert:\LocalMachine\My' `
        -NotBefore $now.AddDays(-400) -NotAfter $now.AddDays(-30) -KeySpec KeyExchange `
        -Provider 'Microsoft Enhanced RSA and AES Cryptographic Provider' -FriendlyName 'rdp-fix lab: expired RDP certificate'
    $keyFile = Get-KeyFile $cert
    & icacls.exe $keyFile /grant '*S-1-5-20:(R)' 2>&1 | ForEach-Object { Write-Log $_ }
    if ($LASTEXITCODE -ne 0) { throw "icacls /grant failed with exit code $LASTEXITCODE" }
    $setting = Get-CimInstance -Namespace 'root\cimv2\TerminalServices' -ClassName Win32_TSGeneralSetting -Filter "TerminalName='RDP-tcp'"
    $previous = [string]$setting.SSLCertificateSHA1Hash
    Set-CimInstance -InputObject $setting -Property @{ SSLCertificateSHA1Hash = $cert.Thumbprint }
    $store = 'Cert:\LocalMachine\Remote Desktop'
    $removed = @()
    foreach ($old in @(Get-ChildItem -Path $store)) {
        Remove-Item -Path "$store\$($old.Thumbprint)"
        $removed += $old.Thumbprint
    }
    Move-Item -Path "Cert:\LocalMachine\My\$($cert.Thumbprint)" -Destination $store
    Write-Log "listener certificate $previous -> $($cert.Thumbprint) in $store (notAfter $($cert.NotAfter.ToUniversalTime().ToString('o'))); removed from $store`: $($removed -join ', ')"
    return [ordered]@{
        previousThumbprint = $previous
        thumbprint         = $cert.Thumbprint
        notAfter           = $cert.NotAfter.ToUniversalTime().ToString('o')
        store              = 'Remote Desktop'
        removed            = $removed
        keyFile            = $keyFile
    }
}
