from echome.cli import main

main()
