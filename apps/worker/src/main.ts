import 'reflect-metadata';
import { bootstrapNode } from '@app/platform';
import { WorkerModule } from './app.module.js';

await bootstrapNode('worker', (config) => WorkerModule.forRoot(config));
