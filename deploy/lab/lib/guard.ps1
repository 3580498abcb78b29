# lib/guard.ps1: shared by the break scripts that include it ("# include: lib/guard.ps1"),
# spliced in by the lab's loader (src/lab/break-lab.ts, src/playbook/script-includes.ts).
# Only on a lab VM: the VM's own Azure tags, read from the Instance Metadata Service
# (GET http://169.254.169.254/metadata/instance/compute/tagsList with the header Metadata: true,
# learn.microsoft.com/azure/virtual-machines/instance-metadata-service), must hold rdp-fix-lab.
# Run by hand on any other VM, the script changes nothing.
function Assert-LabVm {
    $tags = Invoke-RestMethod -Headers @{ Metadata = 'true' } -Method Get -TimeoutSec 10 -UseBasicParsing `
        -Uri 'http://169.254.169.254/metadata/instance/compute/tagsList?api-version=2021-02-01'
    $lab = @($tags | Where-Object { $_.name -eq 'rdp-fix-lab' })
    if ($lab.Count -eq 0) { throw 'this VM has no rdp-fix-lab tag: lab break scripts run only on a VM made by rdp-fix lab create' }
    return [string]$lab[0].value
}
