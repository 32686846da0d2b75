import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ClusterService } from './cluster.service.js';
import { DataSourcesService } from './data-sources.service.js';
import { DataSourceInput, DataSourceUpdateInput } from './inputs/data-source.input.js';
import { ClusterNode, ClusterOperationResult, ClusterStatus } from './models/cluster.model.js';
import { CatalogSource, CatalogValidation, DataSource } from './models/data-source.model.js';

/** Thin resolvers; authentication happens before GraphQL runs (see admin-auth). */
@Resolver()
export class AdminResolver {
  constructor(
    @Inject(ClusterService) private readonly clusterService: ClusterService,
    @Inject(DataSourcesService) private readonly sources: DataSourcesService,
  ) {}

  @Query(() => [ClusterNode], { description: 'Registered work nodes.' })
  nodes() {
    return this.clusterService.nodes();
  }

  @Query(() => ClusterStatus, { description: 'Cluster summary.' })
  cluster() {
    return this.clusterService.status();
  }

  @Query(() => [DataSource], { description: 'Data sources with their catalogs and per-node load status.' })
  dataSources() {
    return this.sources.list();
  }

  @Query(() => DataSource, { nullable: true })
  dataSource(@Args('name') name: string) {
    return this.sources.get(name);
  }

  @Query(() => [CatalogSource])
  catalogSources() {
    return this.sources.catalogs();
  }

  @Mutation(() => DataSource, { description: 'Defines a data source (not loaded yet).' })
  createDataSource(@Args('input') input: DataSourceInput) {
    return this.sources.create(input);
  }

  @Mutation(() => DataSource)
  updateDataSource(@Args('name') name: string, @Args('input') input: DataSourceUpdateInput) {
    return this.sources.update(name, input);
  }

  @Mutation(() => ClusterOperationResult)
  deleteDataSource(@Args('name') name: string) {
    return this.sources.remove(name);
  }

  @Mutation(() => ClusterOperationResult, {
    description: 'Loads the source on every node; returns after the push.',
  })
  loadDataSource(@Args('name') name: string) {
    return this.sources.setLoaded(name, true);
  }

  @Mutation(() => ClusterOperationResult)
  unloadDataSource(@Args('name') name: string) {
    return this.sources.setLoaded(name, false);
  }

  @Mutation(() => ClusterOperationResult)
  reloadDataSource(@Args('name') name: string) {
    return this.sources.reload(name);
  }

  @Mutation(() => CatalogValidation, {
    description: 'Compiles an SDL catalog as the nodes would, without committing anything.',
  })
  validateCatalog(@Args('sdl') sdl: string) {
    return this.sources.validate(sdl);
  }

  @Mutation(() => ClusterOperationResult, {
    description:
      'Invalidates cached entries carrying any of the tags (none: everything) on every healthy node; returns after each answered.',
  })
  invalidateCache(@Args('tags', { type: () => [String], nullable: true }) tags?: string[] | null) {
    return this.clusterService.invalidateCache(tags);
  }

  @Mutation(() => ClusterOperationResult, {
    description: 'Drops a node from the registry (it re-registers if alive).',
  })
  removeNode(@Args('name') name: string) {
    return this.clusterService.removeNode(name);
  }
}
