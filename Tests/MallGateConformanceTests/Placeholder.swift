import Testing
@testable import MallGateDecode
