// rdp-fix on Azure Container Apps, with a user-assigned managed identity that holds the
// least-privilege "rdp-fix operator" role on the resource group of the VMs it serves.
// NOT validated on this machine (no Azure CLI, no network): review it, then
//   az deployment group create -g <app-rg> -f deploy/azure/main.bicep -p image=<registry>/rdp-fix:<tag> tenantId=<Entra tenant id> ...
// The role assignment needs rights to assign roles on the target resource group
// (Owner or User Access Administrator there).

@description('Container image, e.g. myregistry.azurecr.io/rdp-fix:0.1.0')
param image string

@description('Resource group whose VMs the agent serves (the role is assigned there).')
param targetResourceGroup string

@description('Key Vault holding the secrets below (the identity gets "Key Vault Secrets User" on it).')
param keyVaultName string

@description('Comma-separated Slack user ids who approve Slack incidents (RDPFIX_APPROVERS).')
param approvers string

@description('Comma-separated Entra object ids who approve Teams incidents (RDPFIX_TEAMS_APPROVERS): a separate list, never merged with the Slack one.')
param teamsApprovers string = ''

@description('Entra tenant id (a GUID) of the bot and its users: the app accepts tokens and Teams conversations of this tenant only.')
@minLength(36)
@maxLength(36)
param tenantId string

@description('Public https address of the app, for links in chat (e.g. https://rdp-fix.contoso.com).')
param publicUrl string = ''

@description('Teams bot app id (Azure Bot resource); empty disables Teams authentication, which the app refuses off loopback.')
param teamsClientId string = ''

@description('Several replicas on Azure Database for PostgreSQL (true), or one replica on SQLite in the container (false).')
param postgres bool = false

@description('Replicas when postgres is true (any replica takes any request; leases hand work over).')
@minValue(1)
param replicas int = 2

@description('Administrator password of the PostgreSQL server (postgres = true).')
@secure()
param postgresPassword string = ''

param location string = resourceGroup().location
param name string = 'rdp-fix'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-identity'
  location: location
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Key Vault Secrets User (built-in role 4633458b-17de-408a-b874-0445c86b69e6).
resource vaultReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, 'kv-secrets-user')
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
  }
}

// The custom role and its assignment live in the VMs' resource group.
module operatorRole 'operator-role.bicep' = {
  name: '${name}-operator-role'
  scope: resourceGroup(targetResourceGroup)
  params: {
    principalId: identity.properties.principalId
  }
}

// Azure Database for PostgreSQL Flexible Server: the store shared by the replicas.
resource pgServer 'Microsoft.DBforPostgreSQL/flexibleServers@2023-06-01-preview' = if (postgres) {
  name: '${name}-pg'
  location: location
  sku: { name: 'Standard_B1ms', tier: 'Burstable' }
  properties: {
    version: '16'
    administratorLogin: 'rdpfix'
    administratorLoginPassword: postgresPassword
    storage: { storageSizeGB: 32 }
    backup: { backupRetentionDays: 7, geoRedundantBackup: 'Disabled' }
    highAvailability: { mode: 'Disabled' }
  }
}

resource pgDatabase 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2023-06-01-preview' = if (postgres) {
  parent: pgServer
  name: 'rdpfix'
}

// Container Apps reach the server over its public endpoint (TLS required). Only the app's own
// outbound addresses are admitted (`outboundIpAddresses` of Microsoft.App/containerApps, a
// read-only list; not 0.0.0.0, which admits every Azure tenant's services). They are known once
// the app exists, so the rules come after it (a module: a loop needs its array as a parameter),
// and the app's first connections may be refused until then (it restarts and retries). The
// environment's outbound addresses can change; a private endpoint in the environment's VNet is
// the stricter choice for production.
module pgFromApp 'postgres-firewall.bicep' = if (postgres) {
  name: '${name}-pg-firewall'
  params: {
    serverName: pgServer.name
    addresses: app.properties.outboundIpAddresses
  }
}

var databaseUrl = postgres
  ? 'postgres://rdpfix:${uriComponent(postgresPassword)}@${pgServer.properties.fullyQualifiedDomainName}:5432/rdpfix?sslmode=require'
  : 'sqlite:/data/rdp-fix.db'

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs'
  location: location
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${name}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  dependsOn: [vaultReader, pgDatabase]
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      ingress: { external: true, targetPort: 3978, transport: 'http' }
      secrets: [
        { name: 'slack-signing-secret', keyVaultUrl: '${vault.properties.vaultUri}secrets/slack-signing-secret', identity: identity.id }
        { name: 'slack-bot-token', keyVaultUrl: '${vault.properties.vaultUri}secrets/slack-bot-token', identity: identity.id }
        { name: 'teams-client-secret', keyVaultUrl: '${vault.properties.vaultUri}secrets/teams-client-secret', identity: identity.id }
        { name: 'web-token', keyVaultUrl: '${vault.properties.vaultUri}secrets/web-token', identity: identity.id }
        { name: 'database-url', value: databaseUrl }
      ]
    }
    template: {
      containers: [
        {
          name: 'rdp-fix'
          image: image
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: [
            { name: 'AZURE_SUBSCRIPTION_ID', value: subscription().subscriptionId }
            { name: 'RDPFIX_RESOURCE_GROUPS', value: targetResourceGroup }
            { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId } // DefaultAzureCredential picks the user-assigned identity
            { name: 'RDPFIX_APPROVERS', value: approvers }
            { name: 'RDPFIX_TEAMS_APPROVERS', value: teamsApprovers }
            { name: 'RDPFIX_PUBLIC_URL', value: publicUrl }
            { name: 'SLACK_SIGNING_SECRET', secretRef: 'slack-signing-secret' }
            { name: 'SLACK_BOT_TOKEN', secretRef: 'slack-bot-token' }
            { name: 'clientId', value: teamsClientId }
            { name: 'tenantId', value: tenantId }
            { name: 'clientSecret', secretRef: 'teams-client-secret' }
            { name: 'RDPFIX_WEB_TOKEN', secretRef: 'web-token' }
            { name: 'DATABASE_URL', secretRef: 'database-url' }
            // Container Apps sends SIGTERM and waits 30 s by default: finish, then hand over.
            { name: 'RDPFIX_SHUTDOWN_GRACE_SECONDS', value: '20' }
          ]
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 3978 } }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 3978 } }
          ]
        }
      ]
      // SQLite is per container: one replica. On PostgreSQL, several (each named by its hostname).
      scale: { minReplicas: postgres ? replicas : 1, maxReplicas: postgres ? replicas : 1 }
    }
  }
}

output url string = 'https://${app.properties.configuration.ingress.fqdn}'
output identityPrincipalId string = identity.properties.principalId
