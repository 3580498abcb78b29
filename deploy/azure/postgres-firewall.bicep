// One PostgreSQL firewall rule per outbound address of the app (main.bicep passes the container
// app's `outboundIpAddresses`): each admits that single address.

@description('Name of the PostgreSQL flexible server.')
param serverName string

@description('IPv4 addresses the app connects from.')
param addresses array

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2023-06-01-preview' existing = {
  name: serverName
}

resource rules 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2023-06-01-preview' = [
  for (address, i) in addresses: {
    parent: server
    name: 'rdp-fix-app-${i}'
    properties: { startIpAddress: address, endIpAddress: address }
  }
]
