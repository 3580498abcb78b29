// rdp-fix on Azure Container Apps, with a user-assigned managed identity that holds the
// least-privilege "rdp-fix operator" role on the resource group of the VMs it serves.
// NOT validated on this machine (no Azure CLI, no network): review it, then
//   az deployment group create -g <app-rg> -f deploy/azure/main.bicep -p image=<registry>/rdp-fix:<tag> ...
// The role assignment needs rights to assign roles on the target resource group
// (Owner or User Access Administrator there).

@description('Container image, e.g. myregistry.azurecr.io/rdp-fix:0.1.0')
param image string

@description('Resource group whose VMs the agent serves (the role is assigned there).')
param targetResourceGroup string

@description('Key Vault holding the secrets below (the identity gets "Key Vault Secrets User" on it).')
param keyVaultName string

@description('Comma-separated approver ids (Slack user ids and/or Entra object ids).')
param approvers string

@description('Public https address of the app, for links in chat (e.g. https://rdp-fix.contoso.com).')
param publicUrl string = ''

@description('Teams bot app id (Azure Bot resource); empty disables Teams authentication, which the app refuses off loopback.')
param teamsClientId string = ''

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
  dependsOn: [vaultReader]
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      ingress: { external: true, targetPort: 3978, transport: 'http' }
      secrets: [
        { name: 'slack-signing-secret', keyVaultUrl: '${vault.properties.vaultUri}secrets/slack-signing-secret', identity: identity.id }
        { name: 'slack-bot-token', keyVaultUrl: '${vault.properties.vaultUri}secrets/slack-bot-token', identity: identity.id }
        { name: 'teams-client-secret', keyVaultUrl: '${vault.properties.vaultUri}secrets/teams-client-secret', identity: identity.id }
        { name: 'web-token', keyVaultUrl: '${vault.properties.vaultUri}secrets/web-token', identity: identity.id }
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
            { name: 'RDPFIX_PUBLIC_URL', value: publicUrl }
            { name: 'SLACK_SIGNING_SECRET', secretRef: 'slack-signing-secret' }
            { name: 'SLACK_BOT_TOKEN', secretRef: 'slack-bot-token' }
            { name: 'clientId', value: teamsClientId }
            { name: 'clientSecret', secretRef: 'teams-client-secret' }
            { name: 'RDPFIX_WEB_TOKEN', secretRef: 'web-token' }
          ]
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 3978 } }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 3978 } }
          ]
        }
      ]
      // One replica: the embedded SQLite store is per replica. Several replicas need the
      // PostgreSQL store, which is not built yet.
      scale: { minReplicas: 1, maxReplicas: 1 }
    }
  }
}

output url string = 'https://${app.properties.configuration.ingress.fqdn}'
output identityPrincipalId string = identity.properties.principalId
