import { MemoryIncidentStore } from '../../src/store/memory-store';
import { describeStoreContracts } from './contract';

describeStoreContracts('memory', async () => new MemoryIncidentStore());
