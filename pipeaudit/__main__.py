from pipeaudit.cli import main

main()
