// The "rdp-fix operator" custom role (same actions as rdp-fix-operator.role.json), defined
// and assigned in the resource group of the VMs. Deployed by main.bicep as a module.
targetScope = 'resourceGroup'

param principalId string

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'rdp-fix-operator')
  properties: {
    roleName: 'rdp-fix operator (${resourceGroup().name})'
    description: 'What the rdp-fix agent needs to diagnose and fix Remote Desktop on the VMs of this resource group.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: loadJsonContent('rdp-fix-operator.role.json').Actions
        notActions: []
      }
    ]
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, role.id)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: role.id
  }
}
