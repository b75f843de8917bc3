// Engine modules under test get the host project's tfjs, as the Node host gives it to them.
import { bindNodeTfjs } from '../../src/hosts/node/tfjs';

bindNodeTfjs();
