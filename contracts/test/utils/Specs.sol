// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "../../src/interfaces/IModelRegistry.sol";

/// @dev Version specs as tests register them.
library Specs {
    /// @dev A proved model whose weights are circuit constants (pinned by the verifying key), dev setup.
    function proved(address verifier, bytes32 commitment, IModelRegistry.IOSpec memory io)
        internal
        pure
        returns (IModelRegistry.VersionSpec memory)
    {
        return IModelRegistry.VersionSpec(
            verifier, commitment, 0, io, IModelRegistry.WeightsPinning.VerifyingKey, IModelRegistry.SetupKind.Dev
        );
    }

    /// @dev A proved model with secret weights pinned by their commitment (`--weights committed`).
    function committed(address verifier, uint256 weights, IModelRegistry.IOSpec memory io)
        internal
        pure
        returns (IModelRegistry.VersionSpec memory)
    {
        return IModelRegistry.VersionSpec(
            verifier, 0, weights, io, IModelRegistry.WeightsPinning.Commitment, IModelRegistry.SetupKind.Dev
        );
    }

    /// @dev An agreed-mode model (no verifier, no IO spec, nothing pinned).
    function agreed(bytes32 commitment) internal pure returns (IModelRegistry.VersionSpec memory s) {
        s.commitment = commitment;
    }
}
