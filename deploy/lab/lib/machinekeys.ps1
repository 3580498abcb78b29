# lib/machinekeys.ps1: shared by the break scripts that include it ("# include: lib/machinekeys.ps1"),
# spliced in by the lab's loader (src/lab/break-lab.ts, src/playbook/script-includes.ts).
# TermService runs as NETWORK SERVICE and must read the listener certificate's private key. An
# explicit Deny for its SID (S-1-5-20: names are localised) on the key file, set with icacls /deny
# (learn.microsoft.com/windows-server/administration/windows-commands/icacls), wins over every Allow
# ("Order of ACEs in a DACL", learn.microsoft.com/windows/win32/secauthz/order-of-aces-in-a-dacl).
# Schannel then logs 36870 and the client says "An internal error has occurred".
function Deny-ListenerKey {
    $cert = Get-ListenerCertificate
    $keyFile = Get-KeyFile $cert
    $before = (& icacls.exe $keyFile) -join "`n"
    & icacls.exe $keyFile /deny '*S-1-5-20:(R)' 2>&1 | ForEach-Object { Write-Log $_ }
    if ($LASTEXITCODE -ne 0) { throw "icacls /deny failed with exit code $LASTEXITCODE" }
    $after = (& icacls.exe $keyFile) -join "`n"
    Write-Log "ACL of $keyFile before:`n$before`nafter:`n$after"
    return [ordered]@{ thumbprint = $cert.Thumbprint; keyFile = $keyFile; aclBefore = $before; aclAfter = $after }
}
