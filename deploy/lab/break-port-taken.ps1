# rdp-fix-lab: break-port-taken
# LAB ONLY. Breaks this VM on purpose the way the article's cause "port taken by another service" breaks
# Remote Desktop, so that a normal rdp-fix incident can be run against it. Sent by
# `rdp-fix lab break port-taken` through Run Command (RunPowerShellScript, as SYSTEM); it refuses
# to run on a VM without the rdp-fix-lab tag. Prints one RDPFIX-RESULT line last, like the
# playbook's scripts; the details go to the log file it names.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'break-port-taken'
$log = Join-Path $env:ProgramData ('rdp-fix\logs\lab-{0}-{1:yyyyMMdd-HHmmss}.log' -f $stepId, (Get-Date))
New-Item -ItemType Directory -Force -Path (Split-Path $log) | Out-Null

function Write-Log([string]$Message) {
    Add-Content -Path $log -Value ('{0:o} {1}' -f (Get-Date), $Message)
}

function Write-Result([bool]$Ok, $Data, [string]$ErrorMessage) {
    $result = [ordered]@{ step = $stepId; ok = $Ok; log = $log; data = $Data }
    if ($ErrorMessage) { $result.error = $ErrorMessage }
    Write-Output ('RDPFIX-RESULT: ' + ($result | ConvertTo-Json -Compress -Depth 8))
}

# region guard
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
# endregion guard

# region port
# Another service on the RDP port. A small Windows service of the lab's own (C#, compiled on the VM
# by Add-Type -OutputType ConsoleApplication, learn.microsoft.com/powershell/module/microsoft.
# powershell.utility/add-type; System.ServiceProcess.ServiceBase) listens on the port and answers
# HTTP, not RDP. It accepts a stop request (CanStop), like IIS in the article's example: the
# playbook's fix is to stop it and start TermService. TermService is stopped first, since it holds
# the port while it runs.
$PortHolderSource = @'
using System;
using System.Net;
using System.Net.Sockets;
using System.ServiceProcess;
using System.Text;
using System.Threading;

public class RdpFixLabPort : ServiceBase
{
    static int port = 3389;
    TcpListener listener;

    public RdpFixLabPort() { ServiceName = "RdpFixLabPort"; CanStop = true; }

    protected override void OnStart(string[] args)
    {
        listener = new TcpListener(IPAddress.Any, port);
        listener.Start();
        Thread loop = new Thread(Serve);
        loop.IsBackground = true;
        loop.Start();
    }

    void Serve()
    {
        byte[] answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 27\r\nConnection: close\r\n\r\nrdp-fix lab: not RDP here.\n");
        while (true)
        {
            TcpClient client;
            try { client = listener.AcceptTcpClient(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            using (client)
            {
                try { client.GetStream().Write(answer, 0, answer.Length); }
                catch (System.IO.IOException) { }
            }
        }
    }

    protected override void OnStop() { listener.Stop(); }

    public static void Main(string[] args)
    {
        if (args.Length > 0) port = int.Parse(args[0]);
        ServiceBase.Run(new RdpFixLabPort());
    }
}
'@

function Start-PortHolder([int]$Port) {
    $dir = Join-Path $env:ProgramData 'rdp-fix-lab'
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    $exe = Join-Path $dir 'rdpfix-lab-port.exe'
    if (-not (Get-Service -Name RdpFixLabPort -ErrorAction SilentlyContinue)) {
        Add-Type -TypeDefinition $PortHolderSource -ReferencedAssemblies System.ServiceProcess -OutputAssembly $exe -OutputType ConsoleApplication
        New-Service -Name RdpFixLabPort -BinaryPathName "`"$exe`" $Port" -DisplayName 'rdp-fix lab port holder' `
            -Description 'rdp-fix lab: holds the RDP port on purpose (lab break port-taken)' -StartupType Automatic | Out-Null
    }
    Stop-Service -Name TermService -Force
    Start-Service -Name RdpFixLabPort
    $listen = Get-NetTCPConnection -LocalPort $Port -State Listen -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $listen) { throw "RdpFixLabPort started but nothing listens on port $Port" }
    $process = Get-Process -Id $listen.OwningProcess
    Write-Log "port $Port held by $($process.ProcessName) (pid $($listen.OwningProcess))"
    return [ordered]@{ port = $Port; service = 'RdpFixLabPort'; process = $process.ProcessName; pid = [int]$listen.OwningProcess; exe = $exe }
}
# endregion port

try {
    $labId = Assert-LabVm
    Write-Log "lab ${labId}: $stepId"
    $port = [int](Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp' -Name PortNumber).PortNumber
    $data = [ordered]@{ cause = 'port-taken'; labId = $labId; portOwner = (Start-PortHolder $port) }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
