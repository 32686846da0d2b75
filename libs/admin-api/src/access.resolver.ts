import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyInput, PermissionInput, RoleInput, RoleUpdateInput } from './inputs/access.input.js';
import { ApiKey, CreatedApiKey, Permission, Role } from './models/access.model.js';
import { ClusterOperationResult } from './models/cluster.model.js';
import { RolesService } from './roles.service.js';

/**
 * Roles, permissions and managed API keys (SPEC §7, §9.4). Each write bumps the schema version
 * and is pushed to every healthy node before the mutation answers. Thin: logic is in the services.
 */
@Resolver()
export class AccessResolver {
  constructor(
    @Inject(RolesService) private readonly roles: RolesService,
    @Inject(ApiKeysService) private readonly keys: ApiKeysService,
  ) {}

  @Query(() => [Role], { name: 'roles', description: 'Roles with their permissions.' })
  listRoles() {
    return this.roles.list();
  }

  @Query(() => [ApiKey], {
    name: 'apiKeys',
    description: 'Managed API keys; never the key or its hash.',
  })
  listApiKeys() {
    return this.keys.list();
  }

  @Mutation(() => Role, { description: 'Creates a role (no permissions: everything allowed).' })
  createRole(@Args('input') input: RoleInput) {
    return this.roles.create(input);
  }

  @Mutation(() => Role, { description: 'Changes the description or flags of a role.' })
  updateRole(@Args('name') name: string, @Args('input') input: RoleUpdateInput) {
    return this.roles.update(name, input);
  }

  @Mutation(() => ClusterOperationResult, {
    description: 'Deletes a role and its permissions; refused while an API key uses the role.',
  })
  deleteRole(@Args('name') name: string) {
    return this.roles.remove(name);
  }

  @Mutation(() => Permission, {
    description: 'Creates or replaces the permission row (role, typeName, fieldName).',
  })
  setPermission(@Args('input') input: PermissionInput) {
    return this.roles.setPermission(input);
  }

  @Mutation(() => ClusterOperationResult, { description: 'Deletes one permission row.' })
  removePermission(
    @Args('role') role: string,
    @Args('typeName') typeName: string,
    @Args('fieldName') fieldName: string,
  ) {
    return this.roles.removePermission(role, typeName, fieldName);
  }

  @Mutation(() => CreatedApiKey, {
    description: 'Creates a managed API key and returns it, once: only its hash is stored.',
  })
  createApiKey(@Args('input') input: ApiKeyInput) {
    return this.keys.create(input);
  }

  @Mutation(() => ClusterOperationResult, { description: 'Deletes a managed API key.' })
  deleteApiKey(@Args('name') name: string) {
    return this.keys.remove(name);
  }

  @Mutation(() => ClusterOperationResult, {
    description: 'Disables (or enables again) a managed API key without deleting it.',
  })
  setApiKeyDisabled(@Args('name') name: string, @Args('disabled') disabled: boolean) {
    return this.keys.setDisabled(name, disabled);
  }
}
