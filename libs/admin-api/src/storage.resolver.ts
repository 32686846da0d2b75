import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { StorageInput } from './inputs/storage.input.js';
import { ClusterOperationResult } from './models/cluster.model.js';
import { Storage } from './models/storage.model.js';
import { StoragesService } from './storages.service.js';

/** Object storages (SPEC §9.4). Thin: validation, encryption and the push are in StoragesService. */
@Resolver()
export class StorageResolver {
  constructor(@Inject(StoragesService) private readonly storages: StoragesService) {}

  @Query(() => [Storage], {
    name: 'storages',
    description: 'Registered object storages; never the key or secret.',
  })
  list() {
    return this.storages.list();
  }

  @Mutation(() => ClusterOperationResult, {
    description:
      'Registers an object storage, or replaces the one of that name (credential rotation); pushed to every node.',
  })
  registerStorage(@Args('input') input: StorageInput) {
    return this.storages.register(input);
  }

  @Mutation(() => ClusterOperationResult, { description: 'Removes an object storage from every node.' })
  unregisterStorage(@Args('name') name: string) {
    return this.storages.unregister(name);
  }
}
